from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.timezone import localtime
from rest_framework.exceptions import APIException, ValidationError

from backend.accounts.models import User
from backend.api.problems import flatten_errors
from inspections.services.registered_occupancy import (
    ALLOWED_COLUMNS,
    import_registered_occupancy,
)


class Command(BaseCommand):
    help = (
        "Import the number of persons registered per address (BRP counts, no personal data) from "
        "a CSV file with the columns " + ", ".join(ALLOWED_COLUMNS) + ". Matches the rows to the "
        "municipality's housing locations; a bad file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the CSV file (UTF-8, ',' or ';' separated).")
        parser.add_argument(
            "--municipality", required=True, help="CBS code of the municipality, e.g. GM1783."
        )
        parser.add_argument(
            "--date", required=True, help="Reference date (peildatum) of the counts, YYYY-MM-DD."
        )
        parser.add_argument("--user", help="Username recorded as the importer (optional).")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            reference_date = date.fromisoformat(options["date"])
        except ValueError as exc:
            raise CommandError(
                f"--date {options['date']!r} is not a date; write it as YYYY-MM-DD, e.g. "
                "2026-11-01."
            ) from exc
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(
                    f"No active user {options['user']!r}; give an existing username, or leave "
                    "--user out."
                )
        try:
            file_bytes = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}.") from exc

        try:
            result = import_registered_occupancy(
                file_bytes=file_bytes,
                file_name=path.name,
                municipality_code=options["municipality"],
                reference_date=reference_date,
                imported_by=user,
            )
        except ValidationError as exc:
            lines = [
                message if field == "file" else f"{field}: {message}"
                for field, messages in flatten_errors(exc.detail).items()
                for message in messages
            ]
            raise CommandError("\n".join(lines)) from exc
        except APIException as exc:  # e.g. Conflict: this file was imported for another date
            raise CommandError(str(exc.detail)) from exc

        record = result.record
        if not result.created:
            self.stdout.write(
                self.style.WARNING(
                    f"This file was already imported for {record.municipality_code} on "
                    f"{localtime(record.created_at):%Y-%m-%d %H:%M} (import {record.pk}); "
                    "nothing changed."
                )
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{record.rows} rows, {record.matched} matched, {len(record.unmatched)} unmatched"
            )
        )
        for row in record.unmatched:
            self.stdout.write(f"  row {row['row']}: {row['key']}: {row['reason']}")
