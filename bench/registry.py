"""The housing registry at scale: 200,000 locations over the real Dutch municipalities on PostGIS.

Loads verified organisations, 200,000 housing locations with their bedrooms, and declared,
registered (BRP) and observed occupancy, then prints how long these take:

1. the location list through the real API (LocationViewSet: filters, GeoJSON, cursor pages) for a
   planner of the three municipalities with the most locations: the first page, the next one,
   a page of 10 and a page without the status and kind filters, each with its SQL queries (a
   constant number, not one per location) and the time spent in them;
2. the overcrowded-locations query of the selectors (with_occupancy + overcrowded), nationwide
   as a count and for one municipality as the first 100 ids, with the count's EXPLAIN ANALYZE;
3. the per-municipality statistics endpoint, for the planner and for a national user.

Registering 200,000 locations one by one through inspections.services.housing.register_location
is too slow for a benchmark: a point lookup, uniqueness check, inserts, capacity and audit event
per location take about 7 ms, some 25 minutes for 200,000 on 2 cores (the script times a sample
of 200 and rolls it back). So it loads in bulk (bulk_create, 5,000 rows a statement) but derives
what the service derives with the same code: the areas from locate_coordinates (batched), the
norm profile from profile_for and the capacity from capacity_of. A quarter of the locations lie
in three municipalities with much labour-migrant housing (Westland, Horst aan de Maas, Venlo);
the rest are spread evenly over all municipalities, at uniform random points inside each.

    make bench            # or: DATABASE_URL=postgis://... .venv/bin/python bench/registry.py
"""

import hashlib
import random
import statistics
import sys
import time
from collections import defaultdict
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from string import ascii_uppercase

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import import_real_boundaries, scratch_database, setup_django

LOCATIONS = 200_000
ORGANISATIONS = 300
CHUNK = 20_000  # locations built and inserted at a time (bounded memory)
BATCH = 5_000  # rows per INSERT
SERVICE_SAMPLE = 200  # registrations through the service, to show why this script loads in bulk
REPEATS = 7
SEED = 2024

# Share of all locations in municipalities with much labour-migrant housing; the rest is spread
# evenly over every municipality (these included).
HOTSPOTS = {"GM1783": 0.15, "GM1507": 0.06, "GM0983": 0.04}  # Westland, Horst a/d Maas, Venlo
LIST_MUNICIPALITY = "GM1783"
LIST_URL = f"/api/v1/locations/?municipality={LIST_MUNICIPALITY}&status=registered"
LIST_URL += "&kind=shared_house&limit=100"
STATISTICS_URL = "/api/v1/statistics/municipalities/"

STATUSES = (("registered", 55), ("verified", 35), ("suspended", 5), ("closed", 5))
STREETS = ("Havenstraat", "Kerkstraat", "Dorpsstraat", "Molenweg", "Veilingweg", "Kassenweg")
# Postcode letters; PostNL never issues SA, SD or SS.
SUFFIXES = [
    a + b for a in ascii_uppercase for b in ascii_uppercase if a + b not in {"SA", "SD", "SS"}
]

# Share of locations with each occupancy source, and the share of those above the capacity.
DECLARED, DECLARED_OVER = 0.60, 0.15
REGISTERED, REGISTERED_OVER = 0.50, 0.20
OBSERVED, OBSERVED_OVER = 0.05, 0.30


class Stopwatch:
    """Seconds per phase, added up over the chunks; for some also the part in cursor.execute."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.in_database: dict[str, float] = defaultdict(float)

    @contextmanager
    def __call__(self, phase: str, *, database: bool = False):
        from django.db import connection

        def wrapper(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                self.in_database[phase] += time.perf_counter() - started

        started = time.perf_counter()
        with connection.execute_wrapper(wrapper) if database else nullcontext():
            yield
        self.seconds[phase] += time.perf_counter() - started

    def report(self) -> None:
        for phase, seconds in self.seconds.items():
            print(f"  {phase:<50} {seconds:6.1f} s")
            if phase in self.in_database:
                label = "of which in cursor.execute (psycopg + server)"
                print(f"    {label:<48} {self.in_database[phase]:6.1f} s")


@dataclass(frozen=True)
class Site:
    """A sampled point and the areas locate_coordinates derived for it."""

    x: float
    y: float
    municipality: object
    district: object


# --- loading --------------------------------------------------------------------------------


def sample_sites(count: int, seed: int = SEED) -> list[Site]:
    """Uniform random points inside randomly chosen municipalities, located like the service does."""
    import numpy as np
    import shapely

    from geo.models import Municipality
    from geo.services.locate import locate_coordinates

    municipalities = list(Municipality.objects.only("code", "geom").order_by("code"))
    rng = np.random.default_rng(seed)
    weights = np.array([HOTSPOTS.get(m.code, 0.0) for m in municipalities])
    weights += (1 - weights.sum()) / len(municipalities)
    points = []
    for municipality, n in zip(municipalities, rng.multinomial(count, weights), strict=True):
        points += _points_inside(shapely.from_wkb(bytes(municipality.geom.wkb)), n, rng)
    rng.shuffle(points)  # registrations arrive from all over the country, not one area at a time
    matches = locate_coordinates(points)
    sites = [
        Site(x, y, m.municipality, m.district) for (x, y), m in zip(points, matches, strict=True)
    ]
    unlocated = sum(1 for s in sites if s.municipality is None)
    assert not unlocated, f"{unlocated} points inside a municipality polygon were not located"
    return sites


def _points_inside(polygon, count: int, rng) -> list[tuple[float, float]]:
    """Rejection sampling in the polygon's bounding box."""
    import numpy as np
    import shapely

    shapely.prepare(polygon)
    min_x, min_y, max_x, max_y = polygon.bounds
    found = np.empty((0, 2))
    while len(found) < count:
        candidates = rng.uniform((min_x, min_y), (max_x, max_y), size=(max(2 * count, 100), 2))
        found = np.vstack(
            [found, candidates[shapely.contains_xy(polygon, candidates[:, 0], candidates[:, 1])]]
        )
    return [(float(x), float(y)) for x, y in found[:count]]


def create_organisations(count: int, codes: list[str], rnd: random.Random) -> list:
    from django.utils import timezone

    from inspections.models import Organisation, OrganisationStatus

    organisations = [
        Organisation(
            kvk_number=f"{30000000 + i}",
            name=f"Flexwerk {i} B.V.",
            is_employer=rnd.random() < 0.6,
            is_temp_agency=rnd.random() < 0.6,
            is_housing_provider=True,
            street=rnd.choice(STREETS),
            house_number=1 + i,
            postcode=f"{1000 + i}AB",
            place="Naaldwijk",
            status=OrganisationStatus.VERIFIED,
            municipality_code=rnd.choice(codes),
            verified_at=timezone.now(),
        )
        for i in range(count)
    ]
    return Organisation.objects.bulk_create(organisations, batch_size=BATCH)


def address(i: int) -> dict:
    """A unique address per i: ten odd house numbers per postcode."""
    p = i // 10
    return {
        "postcode": f"{1000 + p % 9000}{SUFFIXES[p // 9000]}",
        "house_number": 1 + 2 * (i % 10),
        "house_letter": "",
        "house_number_addition": "",
    }


@cache
def kinds() -> list[str]:
    from inspections.models import LocationKind

    return list(LocationKind.values)


def random_figures(rnd: random.Random) -> dict:
    return {
        "kind": rnd.choice(kinds()),
        "usable_floor_area_m2": Decimal(rnd.randint(4_000, 40_000)) / 100,
        "toilets": rnd.randint(1, 4),
        "showers": rnd.randint(1, 4),
        "kitchens": rnd.randint(1, 4),
        "bedrooms": [
            {"label": f"K{n}", "floor_area_m2": Decimal(rnd.randint(600, 2_000)) / 100}
            | {"beds": rnd.randint(1, 4)}
            for n in range(1, rnd.randint(2, 6) + 1)
        ],
    }


class Capacities:
    """profile_for per (municipality, kind), cached; capacity_of for every location (real formula)."""

    def __init__(self):
        self.profiles: dict[tuple[str, str], object] = {}

    def profile(self, code: str, kind: str):
        from inspections.services.norms import profile_for

        if (code, kind) not in self.profiles:
            self.profiles[code, kind] = profile_for(municipality_code=code, kind=kind)
        return self.profiles[code, kind]

    def persons(self, figures: dict, profile) -> int:
        from inspections.services.norms import BedroomFigures, LocationFigures, capacity_of

        rooms = [BedroomFigures(**room) for room in figures["bedrooms"]]
        location = LocationFigures(
            figures["usable_floor_area_m2"], rooms, figures["toilets"], figures["showers"]
        )
        return capacity_of(location, profile).persons


def time_service_registration(sites: list[Site], organisations: list, rnd: random.Random) -> float:
    """Seconds per location registered through the service (rolled back afterwards)."""
    from django.contrib.gis.geos import Point
    from django.db import transaction

    from inspections.services.housing import register_location

    started = time.perf_counter()
    with transaction.atomic():
        for i, site in enumerate(sites):
            data = random_figures(rnd) | address(i) | {"postcode": f"{9000 + i}ZZ"}
            data |= {
                "street": "Proefstraat",
                "place": "Proef",
                "point": Point(site.x, site.y, srid=4326),
            }
            register_location(actor=None, provider=rnd.choice(organisations), data=data)
        transaction.set_rollback(True)
    return (time.perf_counter() - started) / len(sites)


def create_imports(municipalities, today: date) -> dict:
    """One BRP upload per municipality; rows and matched are filled in after the load."""
    from inspections.models import RegisteredOccupancyImport

    imports = [
        RegisteredOccupancyImport(
            municipality_code=m.code,
            reference_date=today - timedelta(days=30),
            file_name=f"brp-{m.code}-{today - timedelta(days=30)}.csv",
            file_sha256=hashlib.sha256(m.code.encode()).hexdigest(),
            rows=0,
            matched=0,
        )
        for m in municipalities
    ]
    return {i.municipality_code: i for i in RegisteredOccupancyImport.objects.bulk_create(imports)}


def persons_near(capacity: int, over: bool, rnd: random.Random) -> int:
    if over:
        return capacity + rnd.randint(1, max(1, capacity // 4))
    return rnd.randint(capacity * 6 // 10, capacity)


def occupancy_for(location, rnd: random.Random, today: date, imports: dict) -> list:
    """Declared (60 %), registered (50 %) and observed (5 %) counts, some above the capacity."""
    from inspections.models import OccupancyDeclaration, OccupancyObservation, RegisteredOccupancy

    rows, capacity = [], location.capacity
    if rnd.random() < DECLARED:
        until = today + timedelta(days=rnd.randint(30, 365)) if rnd.random() < 0.1 else None
        rows.append(
            OccupancyDeclaration(
                location=location,
                persons=persons_near(capacity, rnd.random() < DECLARED_OVER, rnd),
                valid_from=today - timedelta(days=rnd.randint(1, 700)),
                valid_until=until,
            )
        )
    if rnd.random() < REGISTERED:
        source = imports[location.municipality.code]
        rows.append(
            RegisteredOccupancy(
                location=location,
                reference_date=source.reference_date,
                persons=persons_near(capacity, rnd.random() < REGISTERED_OVER, rnd),
                source=source,
            )
        )
    if rnd.random() < OBSERVED:
        persons = persons_near(capacity, rnd.random() < OBSERVED_OVER, rnd)
        rows.append(
            OccupancyObservation(
                location=location,
                observed_on=today - timedelta(days=rnd.randint(1, 365)),
                persons=persons,
                beds_in_use=persons,
            )
        )
    return rows


def load_locations(sites, organisations, imports, rnd, today, watch: Stopwatch) -> None:
    from inspections.models import Bedroom, HousingLocation

    capacities = Capacities()
    for start in range(0, len(sites), CHUNK):
        with watch("build locations, profile_for + capacity_of"):
            figures = [random_figures(rnd) for _site in sites[start : start + CHUNK]]
            locations = [
                new_location(start + n, site, fig, capacities, organisations, rnd)
                for n, (site, fig) in enumerate(
                    zip(sites[start : start + CHUNK], figures, strict=True)
                )
            ]
        with watch("insert locations", database=True):
            HousingLocation.objects.bulk_create(locations, batch_size=BATCH)
        with watch("build + insert bedrooms", database=True):
            bedrooms = [
                Bedroom(location=location, **room)
                for location, fig in zip(locations, figures, strict=True)
                for room in fig["bedrooms"]
            ]
            Bedroom.objects.bulk_create(bedrooms, batch_size=BATCH)
        with watch("build + insert occupancy", database=True):
            insert_occupancy(locations, rnd, today, imports)


def new_location(i: int, site: Site, figures: dict, capacities, organisations, rnd):
    from django.contrib.gis.geos import Point

    from inspections.models import HousingLocation

    profile = capacities.profile(site.municipality.code, figures["kind"])
    return HousingLocation(
        **address(i),
        street=rnd.choice(STREETS),
        place=site.municipality.name,
        point=Point(site.x, site.y, srid=4326),
        **{k: v for k, v in figures.items() if k != "bedrooms"},
        provider=rnd.choice(organisations),
        status=rnd.choices([s for s, _w in STATUSES], [w for _s, w in STATUSES])[0],
        municipality=site.municipality,
        district=site.district,
        norm_profile=profile,
        capacity=capacities.persons(figures, profile),
    )


def insert_occupancy(locations, rnd, today, imports) -> None:
    from inspections.models import OccupancyDeclaration, OccupancyObservation, RegisteredOccupancy

    by_model = defaultdict(list)
    for location in locations:
        for row in occupancy_for(location, rnd, today, imports):
            by_model[type(row)].append(row)
    for model in (OccupancyDeclaration, RegisteredOccupancy, OccupancyObservation):
        model.objects.bulk_create(by_model[model], batch_size=BATCH)


def complete_imports(imports: dict) -> None:
    from django.db.models import Count

    from inspections.models import RegisteredOccupancyImport

    counts = dict(
        RegisteredOccupancyImport.objects.annotate(n=Count("registrations")).values_list("id", "n")
    )
    for source in imports.values():
        source.rows = source.matched = counts[source.pk]
    RegisteredOccupancyImport.objects.bulk_update(imports.values(), ["rows", "matched"])


def row_counts() -> dict[str, int]:
    from inspections import models

    names = [
        "Organisation",
        "HousingLocation",
        "Bedroom",
        "OccupancyDeclaration",
        "RegisteredOccupancyImport",
        "RegisteredOccupancy",
        "OccupancyObservation",
    ]
    return {name: getattr(models, name).objects.count() for name in names}


# --- measuring ------------------------------------------------------------------------------


def repeat(action, times: int = REPEATS) -> tuple[list[float], object]:
    """Run `action` `times` times; milliseconds per run and the last result."""
    timings = []
    for _ in range(times):
        started = time.perf_counter()
        result = action()
        timings.append((time.perf_counter() - started) * 1000)
    return timings, result


def summary(timings: list[float]) -> str:
    return f"min {min(timings):7.1f} ms, median {statistics.median(timings):7.1f} ms"


def queries_of(action) -> list[tuple[float, str]]:
    """The SQL statements `action` runs: (milliseconds, sql) each, transaction control left out."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        action()
    return [
        (float(q["time"]) * 1000, q["sql"])
        for q in captured.captured_queries
        if q["sql"] not in ("BEGIN", "COMMIT")
    ]


def sql_summary(queries: list[tuple[float, str]]) -> str:
    times = [ms for ms, _sql in queries]
    return f"{len(times)} queries, {sum(times):.0f} ms in SQL (slowest {max(times):.0f} ms)"


def top_municipalities(count: int) -> list[tuple[str, int]]:
    from django.db.models import Count

    from inspections.models import HousingLocation

    rows = (
        HousingLocation.objects.values_list("municipality__code")
        .annotate(n=Count("id"))
        .order_by("-n")[:count]
    )
    top = [(code, n) for code, n in rows]
    assert LIST_MUNICIPALITY in dict(top), f"{LIST_MUNICIPALITY} should be among {top}"
    return top


def client_for(username: str, role: str, codes: list[str | None]):
    from rest_framework.test import APIClient

    from backend.accounts.models import ApiToken, RoleAssignment, User

    user = User.objects.create_user(username=username)
    RoleAssignment.objects.bulk_create(
        RoleAssignment(user=user, role=role, municipality_code=code) for code in codes
    )
    _token, secret = ApiToken.objects.create(user=user, name="bench")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def get_json(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:500])
    return response.json()


def next_link(page: dict) -> str:
    return next(link["href"] for link in page["links"] if link["rel"] == "next")


def explain(sql: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return [line for (line,) in cursor.fetchall()]


def measure_list(client) -> None:
    first = get_json(client, LIST_URL)  # warm up
    urls = {
        "page 1": LIST_URL,
        "page 2": next_link(first),
        "page 1, limit=10": LIST_URL.replace("limit=100", "limit=10"),
        # status and kind are MultipleChoiceFilters, which add DISTINCT; without them:
        "page 1, municipality filter only": f"/api/v1/locations/?municipality={LIST_MUNICIPALITY}"
        "&limit=100",
    }
    print(f"\n1. GET {LIST_URL}, then its next link (planner, {REPEATS} runs each)")
    for label, url in urls.items():
        timings, page = repeat(lambda url=url: get_json(client, url))
        queries = queries_of(lambda url=url: get_json(client, url))
        print(f"   {label:<33} {page['numberReturned']:>3} features: {summary(timings)}")
        print(f"   {'':<33} {sql_summary(queries)}")


def measure_overcrowded() -> None:
    from inspections.models import HousingLocation
    from inspections.selectors.housing import overcrowded, with_occupancy

    queryset = with_occupancy(HousingLocation.objects.all()).filter(overcrowded())
    one = queryset.filter(municipality__code=LIST_MUNICIPALITY).order_by("id")
    count_ms, count = repeat(queryset.count, times=5)
    ids_ms, ids = repeat(lambda: list(one.values_list("id", flat=True)[:100]))
    print("\n2. with_occupancy(HousingLocation.objects.all()).filter(overcrowded())")
    print(f"   .count(), nationwide: {count:,} of {LOCATIONS:,} overcrowded: {summary(count_ms)}")
    print(f"   first {len(ids)} ids in {LIST_MUNICIPALITY}, by id:               {summary(ids_ms)}")
    ((_ms, sql),) = queries_of(queryset.count)
    print("   EXPLAIN (ANALYZE, BUFFERS) of the count, condensed:")
    for line in condensed(explain(sql)):
        print("     " + line)


def condensed(plan: list[str]) -> list[str]:
    """The plan's nodes, subplans, buffers of the top node and the timing summary lines."""
    keep = ("->", "SubPlan", "Filter:", "Planning Time", "JIT:", "Timing:", "Execution Time")
    lines = [plan[0]]
    lines += [line for line in plan[1:] if line.strip().startswith(keep)]
    return lines


def measure_statistics(planner, national) -> None:
    print(f"\n3. GET {STATISTICS_URL}")
    for label, client, times in (
        ("planner", planner, REPEATS),
        ("national read-only", national, 3),
    ):
        timings, rows = repeat(lambda client=client: get_json(client, STATISTICS_URL), times)
        queries = queries_of(lambda client=client: get_json(client, STATISTICS_URL))
        slow = " + ".join(f"{ms:.0f} ms" for ms in sorted(ms for ms, _sql in queries)[-2:])
        print(f"   {label}, {len(rows)} municipalities: {summary(timings)}")
        print(f"   {'':<4}{sql_summary(queries)}; the two aggregates: {slow}")


# --- main -----------------------------------------------------------------------------------


def load(watch: Stopwatch, today: date) -> None:
    from geo.models import Municipality

    rnd = random.Random(SEED)
    with watch("import CBS boundaries"):
        print(f"source: {import_real_boundaries()}")
    municipalities = list(Municipality.objects.defer("geom").order_by("code"))
    with watch("sample points + locate_coordinates"):
        sites = sample_sites(LOCATIONS)
    with watch("organisations + BRP imports"):
        organisations = create_organisations(ORGANISATIONS, [m.code for m in municipalities], rnd)
        imports = create_imports(municipalities, today)
    with watch(f"{SERVICE_SAMPLE} through the service, rolled back"):
        per_location = time_service_registration(sites[:SERVICE_SAMPLE], organisations, rnd)
    print(
        f"register_location (the service), {SERVICE_SAMPLE} in a rolled-back transaction: "
        f"{per_location * 1000:.1f} ms each -> {LOCATIONS:,} would take "
        f"{per_location * LOCATIONS / 60:.0f} min"
    )
    load_locations(sites, organisations, imports, rnd, today, watch)
    with watch("BRP import totals"):
        complete_imports(imports)


def main() -> None:
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from backend.accounts.roles import Role

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the test client's host
    with scratch_database():
        watch = Stopwatch()
        started = time.perf_counter()
        load(watch, timezone.localdate())
        with watch("ANALYZE"), connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"\n{connection.vendor} {connection.ops.spatial_version}")
        print(f"loaded in {time.perf_counter() - started:.1f} s:")
        watch.report()
        print("rows: " + ", ".join(f"{name} {n:,}" for name, n in row_counts().items()))

        top = top_municipalities(3)
        print("planner of: " + ", ".join(f"{code} ({n:,} locations)" for code, n in top))
        planner = client_for("bench.planner", Role.PLANNER, [code for code, _n in top])
        national = client_for("bench.national", Role.NATIONAL_READONLY, [None])
        measure_list(planner)
        measure_overcrowded()
        measure_statistics(planner, national)


if __name__ == "__main__":
    main()
