"""Import CBS areas from any file GDAL reads (GeoJSON, GeoPackage, Shapefile), in any declared CRS.

Everything is read and checked before anything is written: a bad file changes nothing and is
answered with every problem found (up to a limit), each naming the feature. Invalid polygons are
repaired with GEOS MakeValid, keeping only their polygonal parts. Areas are upserted by
(code, year). Field names of the CBS/PDOK wijk- en buurtkaart are understood as they are.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.gdal import CoordTransform, DataSource, GDALException, SpatialReference
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon
from django.db import transaction
from django.utils import timezone

from geo.coordinates import WGS84
from geo.models import District, Municipality, Neighbourhood

MAX_REPORTED_PROBLEMS = 20

LEVELS = {"municipality": Municipality, "district": District, "neighbourhood": Neighbourhood}
_CODE_PATTERNS = {
    "municipality": re.compile(r"^GM\d{4}$"),
    "district": re.compile(r"^WK\d{6}$"),
    "neighbourhood": re.compile(r"^BU\d{8}$"),
}
# Property names tried in order: ours first, then those of the CBS/PDOK files.
_CODE_FIELDS = {
    "municipality": ["code", "statcode", "gemeentecode"],
    "district": ["code", "statcode", "wijkcode"],
    "neighbourhood": ["code", "statcode", "buurtcode"],
}
_NAME_FIELDS = {
    "municipality": ["name", "statnaam", "gemeentenaam"],
    "district": ["name", "statnaam", "wijknaam"],
    "neighbourhood": ["name", "statnaam", "buurtnaam"],
}
_YEAR_FIELDS = ["year", "jaar", "jrstatcode"]  # jrstatcode looks like "2024GM1783"


class AreaImportError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:MAX_REPORTED_PROBLEMS]
        more = len(problems) - len(shown)
        text = "\n".join(f"- {p}" for p in shown) + (f"\n- ... and {more} more" if more else "")
        super().__init__(f"Nothing was imported; the file has {len(problems)} problem(s):\n{text}")


@dataclass
class ImportReport:
    level: str
    source_crs: str
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    repaired: int = 0
    years: set[int] = field(default_factory=set)

    def __str__(self) -> str:
        years = ", ".join(map(str, sorted(self.years))) or "-"
        return (
            f"{self.level}: {self.read} read ({self.source_crs}), {self.created} created, "
            f"{self.updated} updated, {self.unchanged} unchanged, {self.repaired} repaired; "
            f"year {years}"
        )


@dataclass
class _Row:
    code: str
    name: str
    year: int
    geom: MultiPolygon
    parent_code: str | None  # the municipality of a district, the district of a neighbourhood


def _open_layer(path: Path, layer_name: str | None):
    if not path.exists():
        raise AreaImportError([f"{path}: no such file"])
    try:
        source = DataSource(str(path))
    except GDALException as exc:
        raise AreaImportError(
            [f"{path}: GDAL cannot read it as GeoJSON, GeoPackage or Shapefile ({exc})"]
        ) from exc
    names = [layer.name for layer in source]
    if layer_name:
        if layer_name not in names:
            raise AreaImportError([f"{path}: no layer {layer_name!r}; it has {', '.join(names)}"])
        return source, source[layer_name]
    if len(names) != 1:
        raise AreaImportError([f"{path}: has layers {', '.join(names)}; choose one with --layer"])
    return source, source[0]


def _value(feature, candidates: list[str], fields: set[str]):
    for name in candidates:
        if name in fields:
            value = feature.get(name)
            if value not in (None, ""):
                return value
    return None


def _polygonal(geom: GEOSGeometry) -> MultiPolygon:
    """The polygons of a geometry (MakeValid may add lines or points), as one MultiPolygon."""
    if isinstance(geom, Polygon):
        parts = [geom]
    elif isinstance(geom, MultiPolygon):
        parts = list(geom)
    elif geom.geom_type == "GeometryCollection":
        parts = [p for g in geom for p in _polygonal(g)]
    else:
        parts = []
    return MultiPolygon([p for p in parts if not p.empty], srid=WGS84)


def _read_geometry(feature, transform, label, problems) -> tuple[MultiPolygon | None, bool]:
    ogr = feature.geom
    if ogr is None or ogr.geom_name not in ("POLYGON", "MULTIPOLYGON"):
        kind = "no geometry" if ogr is None else f"a {ogr.geom_name} geometry"
        problems.append(f"{label}: has {kind}; areas must be polygons")
        return None, False
    ogr.set_3d(False)
    if transform is not None:
        ogr.transform(transform)
    geom = GEOSGeometry(ogr.wkb, srid=WGS84)
    repaired = False
    if not geom.valid:
        geom = geom.make_valid()
        repaired = True
    multi = _polygonal(geom)
    if multi.empty:
        problems.append(f"{label}: geometry is empty (after repair)")
        return None, repaired
    return multi, repaired


def _parent_code(level: str, code: str, feature, fields) -> str | None:
    if level == "municipality":
        return None
    if level == "district":
        given = _value(feature, ["municipality_code", "gemeentecode"], fields)
        derived = f"GM{code[2:6]}"
    else:
        given = _value(feature, ["district_code", "wijkcode"], fields)
        derived = f"WK{code[2:8]}"
    return str(given) if given else derived


def read_areas(
    path: Path,
    *,
    level: str,
    year: int | None = None,
    layer: str | None = None,
    source_srid: int | None = None,
) -> tuple[list[_Row], ImportReport]:
    """Read, check, reproject and repair every feature; raise AreaImportError listing problems."""
    _source, lyr = _open_layer(path, layer)
    srs = SpatialReference(source_srid) if source_srid else lyr.srs
    if srs is None:
        raise AreaImportError(
            [f"{path}: declares no coordinate reference system; pass --srid (e.g. 28992)"]
        )
    transform = None if srs.srid == WGS84 else CoordTransform(srs, SpatialReference(WGS84))
    report = ImportReport(level=level, source_crs=f"EPSG:{srs.srid}" if srs.srid else srs.name)
    fields = set(lyr.fields)
    rows, problems, seen = [], [], {}
    for index, feature in enumerate(lyr):
        report.read += 1
        code = _value(feature, _CODE_FIELDS[level], fields)
        label = f"feature {index + 1}" + (f" ({code})" if code else "")
        if not code or not _CODE_PATTERNS[level].match(str(code)):
            problems.append(
                f"{label}: code {code!r} is not a CBS {level} code "
                f"(like {_CODE_PATTERNS[level].pattern.strip('^$').replace(chr(92) + 'd', '#')})"
            )
            continue
        code = str(code)
        name = _value(feature, _NAME_FIELDS[level], fields)
        row_year = year or _year_of(_value(feature, _YEAR_FIELDS, fields))
        if not name:
            problems.append(f"{label}: has no name")
        if row_year is None:
            problems.append(f"{label}: has no year; pass --year")
        geom, repaired = _read_geometry(feature, transform, label, problems)
        report.repaired += repaired
        if (code, row_year) in seen:
            first = seen[code, row_year]
            problems.append(f"{label}: {code} appears twice for {row_year} (also feature {first})")
        seen[(code, row_year)] = index + 1
        if geom is not None and name and row_year:
            parent = _parent_code(level, code, feature, fields)
            rows.append(_Row(code, str(name).strip(), row_year, geom, parent))
            report.years.add(row_year)
    if report.read == 0:
        problems.append(f"{path}: contains no features")
    if problems:
        raise AreaImportError(problems)
    return rows, report


def _year_of(value) -> int | None:
    if value is None:
        return None
    match = re.match(r"^\s*(\d{4})", str(value))
    return int(match.group(1)) if match else None


def _parents(level: str, rows: list[_Row]) -> dict[tuple[str, int], object]:
    """The municipality or district each row belongs to, which must have been imported first."""
    if level == "municipality":
        return {}
    parent_model = Municipality if level == "district" else District
    wanted = {(r.parent_code, r.year) for r in rows}
    found = {
        (p.code, p.year): p
        for p in parent_model.objects.filter(
            code__in={c for c, _y in wanted}, year__in={y for _c, y in wanted}
        ).defer("geom")
    }
    missing = sorted(wanted - set(found))
    if missing:
        parent_level = "municipality" if level == "district" else "district"
        raise AreaImportError(
            [
                f"{parent_level} {code} of {year} is not imported; import the {parent_level} "
                f"boundaries of {year} first"
                for code, year in missing
            ]
        )
    return found


def _parent_fields(level: str, parent) -> dict:
    if level == "district":
        return {"municipality_id": parent.pk}
    if level == "neighbourhood":
        return {"municipality_id": parent.municipality_id, "district_id": parent.pk}
    return {}


_UPDATED_FIELDS = {
    "municipality": ["name", "geom", "updated_at"],
    "district": ["name", "geom", "municipality", "updated_at"],
    "neighbourhood": ["name", "geom", "municipality", "district", "updated_at"],
}


def import_areas(
    path: str | Path,
    *,
    level: str,
    year: int | None = None,
    layer: str | None = None,
    source_srid: int | None = None,
) -> ImportReport:
    """Upsert the areas of a file by (code, year); all or nothing."""
    if level not in LEVELS:
        raise AreaImportError([f"unknown level {level!r}; use one of {', '.join(LEVELS)}"])
    model = LEVELS[level]
    rows, report = read_areas(
        Path(path), level=level, year=year, layer=layer, source_srid=source_srid
    )
    now = timezone.now()
    with transaction.atomic():
        parents = _parents(level, rows)
        existing = {
            (a.code, a.year): a
            for a in model.objects.filter(code__in={r.code for r in rows}, year__in=report.years)
        }
        to_create, to_update = [], []
        for row in rows:
            values = {"name": row.name, "geom": row.geom}
            if row.parent_code:
                values.update(_parent_fields(level, parents[(row.parent_code, row.year)]))
            area = existing.get((row.code, row.year))
            if area is None:
                to_create.append(model(code=row.code, year=row.year, **values))
            elif _changed(area, values):
                for name, value in values.items():
                    setattr(area, name, value)
                area.updated_at = now
                to_update.append(area)
        model.objects.bulk_create(to_create, batch_size=200)
        model.objects.bulk_update(to_update, _UPDATED_FIELDS[level], batch_size=200)
        report.created, report.updated = len(to_create), len(to_update)
        report.unchanged = len(rows) - len(to_create) - len(to_update)
    return report


def _changed(area, values: dict) -> bool:
    for name, value in values.items():
        current = getattr(area, name)
        if name == "geom":
            if not current.equals_exact(value, tolerance=1e-9):
                return True
        elif current != value:
            return True
    return False
