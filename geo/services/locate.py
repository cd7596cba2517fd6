"""Which municipality, district and neighbourhood a point lies in.

One SQL statement answers a batch of points: each point finds its municipality, then a
district of that municipality, then a neighbourhood of that district, every step through the
spatial index. The statement is the same on PostGIS and SpatiaLite except for three small parts
(_DIALECTS): how the points are passed (three arrays on PostgreSQL, which parses far faster than
thousands of parameters; a VALUES list on SQLite), how a point is built, and how the R*Tree
index is consulted, which SpatiaLite does not do by itself. Where areas overlap (CBS boundaries
simplified independently overlap by a few metres) the lowest code wins, so the answer is
reproducible.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.gis.geos import Point
from django.db import connection
from django.db.models import Max

from geo.coordinates import WGS84, transformed
from geo.models import District, Municipality, Neighbourhood


@dataclass(frozen=True)
class AreaMatch:
    municipality: Municipality | None
    district: District | None
    neighbourhood: Neighbourhood | None


_NO_MATCH = AreaMatch(None, None, None)


def _array_parameters(start: int, batch: Sequence[tuple[float, float]]) -> list:
    return [
        list(range(start, start + len(batch))),
        [float(x) for x, _y in batch],
        [float(y) for _x, y in batch],
    ]


def _flat_parameters(start: int, batch: Sequence[tuple[float, float]]) -> list:
    params: list = []
    for offset, (x, y) in enumerate(batch):
        params += [start + offset, float(x), float(y)]
    return params


_DIALECTS = {
    "postgresql": {
        "points": lambda count: "SELECT * FROM unnest(%s::bigint[], %s::float8[], %s::float8[])",
        "parameters": _array_parameters,
        "batch_size": 50_000,
        "point": "ST_SetSRID(ST_MakePoint({t}.x, {t}.y), 4326)",
        "index": "",  # ST_Intersects uses the GiST index by itself
    },
    "sqlite": {
        "points": lambda count: "VALUES " + ", ".join(["(%s, %s, %s)"] * count),
        "parameters": _flat_parameters,
        "batch_size": 5_000,  # 3 parameters a point; SQLite allows 32,766 a statement
        "point": "MakePoint({t}.x, {t}.y, 4326)",
        "index": (
            "{a}.ROWID IN (SELECT ROWID FROM SpatialIndex WHERE f_table_name = '{table}' "
            "AND f_geometry_column = 'geom' AND search_frame = {point}) AND "
        ),
    },
}


def _area_subquery(model, alias: str, outer: str, condition: str) -> str:
    dialect = _DIALECTS[connection.vendor]
    point = dialect["point"].format(t=outer)
    table = model._meta.db_table
    index = dialect["index"].format(a=alias, table=table, point=point)
    # Only table names and fixed SQL are formatted in; every value is a query parameter.
    return (
        f"(SELECT {alias}.id FROM {table} {alias} WHERE {condition} AND {index}"
        f"ST_Intersects({alias}.geom, {point}) ORDER BY {alias}.code LIMIT 1)"
    )


def _locate_sql(count: int) -> str:
    points = _DIALECTS[connection.vendor]["points"](count)
    municipality = _area_subquery(Municipality, "m", "p", "m.year = %s")
    district = _area_subquery(District, "d", "pm", "d.municipality_id = pm.mid")
    neighbourhood = _area_subquery(Neighbourhood, "n", "pd", "n.district_id = pd.did")
    return (
        f"WITH p(i, x, y) AS ({points}), "
        # MATERIALIZED: each level is looked up once per point, not again inside the next level.
        f"pm AS MATERIALIZED (SELECT p.i, p.x, p.y, {municipality} AS mid FROM p), "
        f"pd AS MATERIALIZED (SELECT pm.i, pm.x, pm.y, pm.mid, {district} AS did FROM pm) "
        f"SELECT pd.i, pd.mid, pd.did, {neighbourhood} FROM pd"
    )


def latest_year() -> int | None:
    return Municipality.objects.aggregate(year=Max("year"))["year"]


def _area_ids(coordinates: Sequence[tuple[float, float]], year: int) -> list[tuple]:
    dialect = _DIALECTS[connection.vendor]
    size = dialect["batch_size"]
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(coordinates), size):
            batch = coordinates[start : start + size]
            parameters = dialect["parameters"](start, batch)
            cursor.execute(_locate_sql(len(batch)), [*parameters, year])
            rows += cursor.fetchall()
    return rows


def locate_coordinates(
    coordinates: Sequence[tuple[float, float]], *, year: int | None = None
) -> list[AreaMatch]:
    """Areas for many WGS84 (lon, lat) pairs, in input order; the latest year unless given."""
    if not coordinates:
        return []
    year = year or latest_year()
    if year is None:
        return [_NO_MATCH] * len(coordinates)
    rows = _area_ids(coordinates, year)
    # Fetch each area once, without its (large) geometry.
    areas = {
        model: model.objects.defer("geom").in_bulk({row[column] for row in rows} - {None})
        for column, model in ((1, Municipality), (2, District), (3, Neighbourhood))
    }
    matches = [_NO_MATCH] * len(coordinates)
    for index, mid, did, nid in rows:
        matches[index] = AreaMatch(
            areas[Municipality].get(mid), areas[District].get(did), areas[Neighbourhood].get(nid)
        )
    return matches


def locate_points(points: Iterable[Point], *, year: int | None = None) -> list[AreaMatch]:
    """Areas for GEOS points in any SRID."""
    coordinates = []
    for point in points:
        if point.srid and point.srid != WGS84:
            point = transformed(point, WGS84)
        coordinates.append((point.x, point.y))
    return locate_coordinates(coordinates, year=year)


def locate_point(point: Point, *, year: int | None = None) -> AreaMatch:
    """The municipality, district and neighbourhood of one point (None where it lies in none)."""
    return locate_points([point], year=year)[0]
