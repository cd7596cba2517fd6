"""What every benchmark needs: Django on PostGIS, a scratch database, real boundaries, a timer."""

import contextlib
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(*, require_postgis: bool = True) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.test")
    import django

    django.setup()
    from django.db import connection

    if require_postgis and connection.vendor != "postgresql":
        sys.exit(
            "Benchmarks run on PostGIS: set DATABASE_URL=postgis://user@host:5432/name "
            "(make bench does this for you)."
        )


@contextlib.contextmanager
def scratch_database():
    """A fresh, migrated test database (test_<name>), dropped afterwards; no dev data touched."""
    from django.db import connection

    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield name
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)


def import_real_boundaries() -> str:
    """The CBS 2024 municipalities and districts from ../shared/data, or else the demo region."""
    from django.conf import settings
    from django.core.management import call_command

    from geo.services.area_import import import_areas

    data = Path(settings.SHARED_DATA_DIR)
    municipalities = data / "nl_municipalities.geojson"
    if not municipalities.exists():
        settings.DEBUG = True
        call_command("load_demo", verbosity=0)
        return "demo region (real CBS boundaries not found)"
    import_areas(municipalities, level="municipality")
    for path in sorted(data.glob("districts_*.geojson")):
        import_areas(path, level="district")
    return "CBS 2024 boundaries from ../shared/data"


@contextlib.contextmanager
def timed(results: dict, key: str):
    started = time.perf_counter()
    yield
    results[key] = time.perf_counter() - started
