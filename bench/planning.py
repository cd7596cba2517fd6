"""Planning at municipal scale: 10 inspectors x 5 days over 2,000 candidate locations in Westland.

Builds 2,000 housing locations at random points inside Westland's real CBS 2024 boundary (bulk,
with the capacity the norms give), 10 inspectors working 08:00-16:30 on weekdays, and a
planning base at the town hall in Naaldwijk. Then prints, in one run:

1. the planning time of `propose_plan` (risk scores, candidates, routing; target under 10 s on
   2 cores), the visits planned, the candidates carried over and the total route length;
2. the same visits planned greedily by priority and straight-line distance, as Amsterdam's
   visit planner does (target: ours at least 20% shorter);
3. the same problem solved by OR-Tools with a 60-second search (target: ours within 3%).

    make bench            # or: DATABASE_URL=postgis://... .venv/bin/python bench/planning.py
"""

import random
import sys
import time
from datetime import date, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import import_real_boundaries, scratch_database, setup_django

MUNICIPALITY = "GM1783"  # Westland
CANDIDATES = 2_000
INSPECTORS = 10
MONDAY = date(2026, 12, 7)
TOWN_HALL = (4.2064, 51.9935)  # Naaldwijk
SEED = 2026


def random_points(count: int, rnd: random.Random) -> list[tuple[float, float]]:
    import shapely

    from geo.models import Municipality

    area = Municipality.objects.get(code=MUNICIPALITY, year=2024)
    polygon = shapely.from_wkb(bytes(area.geom.wkb))
    shapely.prepare(polygon)
    min_x, min_y, max_x, max_y = polygon.bounds
    points = []
    while len(points) < count:
        x, y = rnd.uniform(min_x, max_x), rnd.uniform(min_y, max_y)
        if shapely.contains_xy(polygon, x, y):
            points.append((x, y))
    return points


def build_locations(rnd: random.Random) -> None:
    from django.contrib.gis.geos import Point

    from geo.services.locate import locate_coordinates
    from inspections.models import HousingLocation, LocationKind, NormProfile, Organisation

    provider = Organisation.objects.create(
        kvk_number="90000001",
        name="Bench Huisvesting BV",
        status="verified",
        municipality_code=MUNICIPALITY,
    )
    points = random_points(CANDIDATES, rnd)
    areas = locate_coordinates(points)
    profile = NormProfile.objects.get(code="snf-residence")
    HousingLocation.objects.bulk_create(
        [
            HousingLocation(
                street="Kasweg",
                house_number=n + 1,
                postcode=f"{2670 + n % 30}{chr(65 + n // 30 % 26)}{chr(65 + n // 780 % 26)}",
                place="Westland",
                point=Point(x, y, srid=4326),
                kind=rnd.choice([LocationKind.SHARED_HOUSE, LocationKind.ORDINARY_DWELLING]),
                usable_floor_area_m2=Decimal(rnd.randint(60, 240)),
                toilets=rnd.randint(1, 3),
                showers=rnd.randint(1, 3),
                kitchens=1,
                provider=provider,
                municipality=match.municipality,
                district=match.district,
                norm_profile=profile,
                capacity=rnd.randint(4, 16),
                found_unregistered=rnd.random() < 0.05,
            )
            for n, ((x, y), match) in enumerate(zip(points, areas, strict=True))
        ],
        batch_size=1000,
    )


def build_team():
    from django.contrib.gis.geos import Point

    from backend.accounts.models import RoleAssignment, User
    from inspections.models import PlanningBase, WorkingHours

    PlanningBase.objects.create(
        municipality_code=MUNICIPALITY,
        name="Gemeentehuis Naaldwijk",
        point=Point(*TOWN_HALL, srid=4326),
    )
    planner = User.objects.create(username="bench.planner")
    RoleAssignment.objects.create(user=planner, role="planner", municipality_code=MUNICIPALITY)
    for n in range(INSPECTORS):
        inspector = User.objects.create(username=f"bench.inspector{n}")
        RoleAssignment.objects.create(
            user=inspector, role="inspector", municipality_code=MUNICIPALITY
        )
        for weekday in range(5):
            WorkingHours.objects.create(
                inspector=inspector, weekday=weekday, start=clock(8, 0), end=clock(16, 30)
            )
    return planner


def timed(action):
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def main() -> None:
    setup_django()
    from django.db import connection

    from inspections.models import HousingLocation, Plan
    from inspections.selectors.risk import location_risk_scores
    from inspections.services import planning, routing

    with scratch_database():
        source = import_real_boundaries()
        rnd = random.Random(SEED)
        build_locations(rnd)
        planner = build_team()
        friday = MONDAY + timedelta(days=4)
        print(f"source: {source}; {connection.vendor} {connection.ops.spatial_version}")
        print(
            f"{CANDIDATES:,} locations in Westland, {INSPECTORS} inspectors x 5 days "
            "(08:00-16:30), 45-minute visits"
        )

        plan, seconds = timed(
            lambda: planning.propose_plan(
                actor=planner, municipality_codes=[MUNICIPALITY], first_day=MONDAY, last_day=friday
            )
        )
        plan = Plan.objects.get(pk=plan.pk)
        solver = plan.solver
        print(
            f"\n1. propose_plan: {seconds:.1f} s in all (target < 10 s), "
            f"of which routing {solver['seconds']:.1f} s"
            f"\n   {solver['visits']} visits planned over {solver['inspector_days']} inspector-days, "
            f"{len(plan.carried_over):,} candidates carried over; route length {solver['route_km']:.1f} km"
        )

        # The same problem again, for the baselines.
        bases = planning.bases_for([MUNICIPALITY])
        shifts = planning.shifts_for([MUNICIPALITY], MONDAY, friday, bases)
        ids = list(HousingLocation.objects.values_list("pk", flat=True))
        scores, score_seconds = timed(lambda: location_risk_scores(ids, as_of=MONDAY))
        candidates = planning.candidates_for([MUNICIPALITY], MONDAY, friday, bases, scores)
        stops = [planning.stop_for(c, bases[MUNICIPALITY].visit_minutes) for c in candidates]
        travel = routing.Travel(
            speed_kmh=float(bases[MUNICIPALITY].speed_kmh),
            detour=float(bases[MUNICIPALITY].detour_factor),
        )
        ours = routing.solve(stops, shifts, travel=travel)
        greedy = routing.greedy(stops, shifts, travel=travel)
        long = routing.solve(stops, shifts, travel=travel, seconds=60)

        def line(name, solution, seconds):
            km = solution.length_m / 1000
            return f"   {name:<34} {solution.visits:>4} visits  {km:8.1f} km  {seconds:5.1f} s"

        print(f"\n   (risk scores of {CANDIDATES:,} locations: {score_seconds:.2f} s)")
        print("\n2./3. the same visits, three ways:")
        print(line("OR-Tools, default search", ours, ours.seconds))
        print(line("greedy (Amsterdam-style)", greedy, greedy.seconds))
        print(line("OR-Tools, 60 s search", long, long.seconds))
        shorter = 1 - ours.length_m / greedy.length_m
        gap = ours.length_m / long.length_m - 1
        print(
            f"\n   ours is {shorter:.1%} shorter than greedy (target at least 20%): "
            f"{'met' if shorter >= 0.2 else 'NOT met'}"
        )
        print(
            f"   ours is {gap:.1%} longer than the 60 s search (target within 3%): "
            f"{'met' if gap <= 0.03 else 'NOT met'}"
        )
        print(
            "   visits per inspector-day: "
            f"{min(len(r.stops) for r in ours.routes)}-{max(len(r.stops) for r in ours.routes)}"
        )


if __name__ == "__main__":
    main()
