"""Point-to-area lookup: 100,000 random points in the Netherlands on PostGIS.

Prints points per second for the batched lookup (geo.services.locate), the same for one query
per point on a sample, and the query plan that shows the spatial index at work.

    make bench            # or: DATABASE_URL=postgis://... .venv/bin/python bench/areas.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import import_real_boundaries, scratch_database, setup_django, timed

POINTS = 100_000
SINGLE_SAMPLE = 2_000


def random_points_in_netherlands(count: int, seed: int = 2024) -> list[tuple[float, float]]:
    """Uniform random points inside the imported municipalities (rejection sampling, Shapely)."""
    import numpy as np
    import shapely

    from geo.models import Municipality

    land = shapely.union_all(
        [shapely.from_wkb(bytes(m.geom.wkb)) for m in Municipality.objects.only("geom")]
    )
    shapely.prepare(land)
    min_x, min_y, max_x, max_y = land.bounds
    rng = np.random.default_rng(seed)
    points = np.empty((0, 2))
    while len(points) < count:
        candidates = rng.uniform((min_x, min_y), (max_x, max_y), size=(count, 2))
        inside = shapely.contains_xy(land, candidates[:, 0], candidates[:, 1])
        points = np.vstack([points, candidates[inside]])
    return [(float(x), float(y)) for x, y in points[:count]]


def main() -> None:
    setup_django()
    from django.contrib.gis.geos import Point
    from django.db import connection

    from geo.services import locate

    with scratch_database():
        source = import_real_boundaries()
        points = random_points_in_netherlands(POINTS)
        results: dict[str, float] = {}

        locate.locate_coordinates(points[:1000])  # warm caches and connection
        with timed(results, "batch"):
            matches = locate.locate_coordinates(points)
        with timed(results, "single"):
            for x, y in points[:SINGLE_SAMPLE]:
                locate.locate_point(Point(x, y, srid=4326))

        in_municipality = sum(1 for m in matches if m.municipality)
        in_district = sum(1 for m in matches if m.district)
        print(f"source: {source}; {connection.vendor} {connection.ops.spatial_version}")
        print(
            f"batched lookup: {POINTS:,} points in {results['batch']:.2f} s = "
            f"{POINTS / results['batch']:,.0f} points/s "
            f"({in_municipality:,} in a municipality, {in_district:,} in a district)"
        )
        print(
            f"one query per point: {SINGLE_SAMPLE:,} points in {results['single']:.2f} s = "
            f"{SINGLE_SAMPLE / results['single']:,.0f} points/s"
        )
        print("\nquery plan for 2 points (EXPLAIN ANALYZE):")
        with connection.cursor() as cursor:
            cursor.execute(
                "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + locate._locate_sql(2),
                [[0, 1], [4.21, 5.12], [52.0, 52.09], locate.latest_year()],
            )
            for (line,) in cursor.fetchall():
                print("  " + line)


if __name__ == "__main__":
    main()
