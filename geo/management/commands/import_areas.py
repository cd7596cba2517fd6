from django.core.management.base import BaseCommand, CommandError

from geo.services.area_import import LEVELS, AreaImportError, import_areas


class Command(BaseCommand):
    help = (
        "Import CBS municipalities, districts or neighbourhoods from GeoJSON, GeoPackage or "
        "Shapefile (any CRS the file declares). Upserts by code and year; a bad file changes "
        "nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of a file GDAL can read.")
        parser.add_argument("--level", required=True, choices=list(LEVELS))
        parser.add_argument("--year", type=int, help="Data year, when the file does not carry one.")
        parser.add_argument("--layer", help="Layer to read from a file with several (GeoPackage).")
        parser.add_argument(
            "--srid", type=int, help="EPSG code of the coordinates, when the file declares none."
        )

    def handle(self, *args, **options):
        try:
            report = import_areas(
                options["file"],
                level=options["level"],
                year=options["year"],
                layer=options["layer"],
                source_srid=options["srid"],
            )
        except AreaImportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(str(report)))
