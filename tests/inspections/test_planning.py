"""Planning: propose visits within inspectors' days, carry over what does not fit, publish."""

from datetime import date, time, timedelta

import pytest
from django.contrib.gis.geos import Point
from icalendar import Calendar

from backend.accounts.roles import Role
from inspections.models import Absence, Inspection, PlanningBase, WorkingHours
from inspections.services import routing
from inspections.services.inspections import plan_inspection

from .conftest import location_payload, register

pytestmark = pytest.mark.django_db
MONDAY = date(2026, 12, 7)
URL = "/api/v1/plans/"


@pytest.fixture
def base(demo_region):
    return PlanningBase.objects.create(
        municipality_code="GM1783",
        name="Gemeentehuis Naaldwijk",
        point=Point(4.2070, 51.9960, srid=4326),
    )


@pytest.fixture
def planner(make_user, client_for):
    return client_for(make_user(Role.PLANNER, ["GM1783"]))


def inspector_with_hours(make_user, start=time(8, 0), end=time(16, 30), days=range(5)):
    user = make_user(Role.INSPECTOR, ["GM1783"])
    for weekday in days:
        WorkingHours.objects.create(inspector=user, weekday=weekday, start=start, end=end)
    return user


def houses(agency, count, *, around=(4.2050, 51.9950), step=0.0015, first_number=100):
    """`count` locations in a grid near Naaldwijk, each at its own address."""
    locations = []
    for n in range(count):
        lon = around[0] + (n % 5) * step
        lat = around[1] + (n // 5) * step * 0.6
        locations.append(
            register(
                agency,
                house_number=first_number + n,
                point={"type": "Point", "coordinates": [lon, lat]},
            )
        )
    return locations


def propose(client, first=MONDAY, last=MONDAY, **extra):
    body = {
        "municipality_codes": ["GM1783"],
        "first_day": first.isoformat(),
        "last_day": last.isoformat(),
        **extra,
    }
    return client.post(URL, body, format="json")


def test_a_proposal_routes_every_visit_within_working_hours(planner, base, make_user, agency_a):
    inspector = inspector_with_hours(make_user)
    houses(agency_a, 6)

    response = propose(planner)

    assert response.status_code == 201, response.content
    plan = response.json()
    assert plan["status"] == "proposed"
    assert len(plan["visits"]) == 6
    assert plan["carried_over"] == []
    assert {v["inspector"] for v in plan["visits"]} == {inspector.username}
    assert sorted(v["position"] for v in plan["visits"]) == [1, 2, 3, 4, 5, 6]
    arrivals = [v["arrival"] for v in sorted(plan["visits"], key=lambda v: v["position"])]
    assert arrivals == sorted(arrivals)
    assert arrivals[0] >= "08:00:00"
    assert arrivals[-1] <= "16:30:00"
    assert {v["reason"] for v in plan["visits"]} == {"periodic"}  # never inspected
    assert plan["solver"]["visits"] == 6


def test_more_visits_than_capacity_are_carried_over_in_priority_order(
    planner, base, make_user, agency_a
):
    inspector_with_hours(make_user, start=time(8, 0), end=time(12, 0))
    locations = houses(agency_a, 12)
    scores = {loc.pk: n for n, loc in enumerate(locations)}  # later houses riskier
    from inspections.services.planning import propose_plan

    plan = propose_plan(
        actor=planner.user,
        municipality_codes=["GM1783"],
        first_day=MONDAY,
        last_day=MONDAY,
        seconds=1,
        risk_scores=scores,
    )

    planned = {v.location_id for v in plan.visits.all()}
    assert 3 <= len(planned) <= 4  # 4 hours: 45-minute visits and the drives between them
    carried = [c["location"] for c in plan.carried_over]
    assert len(planned) + len(carried) == 12
    assert [c["priority"] for c in plan.carried_over] == sorted(
        (c["priority"] for c in plan.carried_over), reverse=True
    )
    assert max(scores[loc] for loc in carried) < min(
        scores[loc] for loc in planned
    )  # the riskiest go


def test_an_absent_inspector_gets_no_visits(planner, base, make_user, agency_a):
    present = inspector_with_hours(make_user)
    absent = inspector_with_hours(make_user)
    Absence.objects.create(
        inspector=absent, first_day=MONDAY, last_day=MONDAY + timedelta(days=1), label="verlof"
    )
    houses(agency_a, 8)
    plan = propose(planner, last=MONDAY + timedelta(days=2)).json()
    days_of = {(v["inspector"], v["day"]) for v in plan["visits"]}
    assert all(
        day >= (MONDAY + timedelta(days=2)).isoformat()
        for who, day in days_of
        if who == absent.username
    )
    assert any(who == present.username for who, _day in days_of)


def test_no_planning_base_is_a_clear_error(planner, demo_region, make_user, agency_a):
    inspector_with_hours(make_user)
    houses(agency_a, 2)
    response = propose(planner)
    assert response.status_code == 400
    assert "has no planning base" in response.json()["errors"]["municipality_codes"][0]


def test_no_working_hours_is_a_clear_error(planner, base, make_user, agency_a):
    make_user(Role.INSPECTOR, ["GM1783"])
    houses(agency_a, 2)
    response = propose(planner)
    assert response.status_code == 400
    assert "No inspector works on these days" in response.json()["errors"]["first_day"][0]


def test_fixed_appointments_keep_their_day_and_window(planner, base, make_user, agency_a):
    inspector = inspector_with_hours(make_user)
    locations = houses(agency_a, 5)
    appointment = plan_inspection(actor=planner.user, location=locations[2], kind="complaint")
    appointment.planned_date, appointment.window_start, appointment.window_end = (
        MONDAY + timedelta(days=1),
        time(14, 0),
        time(14, 30),
    )
    appointment.save()

    plan = propose(planner, last=MONDAY + timedelta(days=2)).json()

    visit = next(v for v in plan["visits"] if v["location"] == locations[2].pk)
    assert (visit["reason"], visit["day"], visit["inspection"]) == (
        "appointment",
        "2026-12-08",
        appointment.pk,
    )
    assert "14:00:00" <= visit["arrival"] <= "14:30:00"
    assert visit["inspector"] == inspector.username


def test_reinspections_are_planned_by_their_deadline(planner, base, make_user, agency_a):
    inspector_with_hours(make_user)
    locations = houses(agency_a, 10)
    reinspection = plan_inspection(
        actor=planner.user,
        location=locations[9],
        kind="reinspection",
        planned_date=MONDAY + timedelta(days=1),
    )
    plan = propose(planner, last=MONDAY + timedelta(days=4)).json()
    visit = next(v for v in plan["visits"] if v["location"] == locations[9].pk)
    assert visit["reason"] == "reinspection"
    assert visit["inspection"] == reinspection.pk
    assert visit["day"] <= "2026-12-08"


def test_the_planner_moves_and_removes_visits_then_publishes(
    planner, base, make_user, client_for, agency_a
):
    first = inspector_with_hours(make_user)
    second = inspector_with_hours(make_user)
    houses(agency_a, 6)
    plan = propose(planner).json()
    visit = plan["visits"][0]
    other = second.username if visit["inspector"] == first.username else first.username

    moved = planner.patch(
        f"{URL}{plan['id']}/visits/{visit['id']}/",
        {"inspector": other, "day": "2026-12-07", "position": 1},
        format="json",
    )
    assert moved.status_code == 200, moved.content
    mine = [v for v in moved.json()["visits"] if v["inspector"] == other]
    assert [v["position"] for v in sorted(mine, key=lambda v: v["position"])] == list(
        range(1, len(mine) + 1)
    )
    assert next(v for v in mine if v["id"] == visit["id"])["position"] == 1

    removed = planner.delete(f"{URL}{plan['id']}/visits/{plan['visits'][1]['id']}/")
    assert len(removed.json()["visits"]) == 5
    assert removed.json()["carried_over"][0]["removed_by_planner"] is True

    published = planner.post(f"{URL}{plan['id']}/publish/")
    assert published.json()["status"] == "published"
    assert Inspection.objects.filter(status="assigned").count() == 5
    assert planner.post(f"{URL}{plan['id']}/publish/").status_code == 409

    work = client_for(User_of(other)).get("/api/v1/field/my-work/?date=2026-12-07").json()
    assert work["visits"][0]["inspection"]["route_position"] == 1


def User_of(username):
    from backend.accounts.models import User

    return User.objects.get(username=username)


def test_routes_are_geojson_lines_from_the_base_and_back(planner, base, make_user, agency_a):
    inspector_with_hours(make_user)
    houses(agency_a, 4)
    plan = propose(planner).json()
    response = planner.get(f"{URL}{plan['id']}/routes/")
    assert response["Content-Type"] == "application/geo+json"
    (route,) = response.json()["features"]
    coordinates = route["geometry"]["coordinates"]
    assert coordinates[0] == coordinates[-1] == [4.207, 51.996]
    assert len(coordinates) == 4 + 2
    assert route["properties"]["visits"] == 4
    assert route["properties"]["length_km"] > 0


def test_who_may_plan(base, make_user, client_for, provider_a):
    inspector = client_for(make_user(Role.INSPECTOR, ["GM1783"]))
    assert propose(inspector).status_code == 403
    horst_planner = client_for(make_user(Role.PLANNER, ["GM1507"]))
    assert propose(horst_planner).status_code == 403
    assert propose(provider_a).status_code == 403
    national = client_for(make_user(Role.NATIONAL_READONLY))
    assert propose(national).status_code == 403
    assert national.get(URL).status_code == 403


def test_the_calendar_feed(planner, base, make_user, client_for, api_client, agency_a):
    inspector = inspector_with_hours(make_user)
    houses(agency_a, 3)
    plan = propose(planner).json()
    planner.post(f"{URL}{plan['id']}/publish/")
    url = client_for(inspector).post("/api/v1/me/calendar/").json()["url"]

    response = api_client.get(url.replace("http://testserver", ""))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert len(events) == 3
    assert str(events[0]["summary"]).startswith("1. Periodic inspection due: ")

    newer = client_for(inspector).post("/api/v1/me/calendar/").json()["url"]
    assert api_client.get(url.replace("http://testserver", "")).status_code == 404
    assert api_client.get(newer.replace("http://testserver", "")).status_code == 200
    assert (
        client_for(make_user(Role.PLANNER, ["GM1783"])).post("/api/v1/me/calendar/").status_code
        == 403
    )


def test_a_visit_cannot_move_to_a_day_the_inspector_is_off(planner, base, make_user, agency_a):
    inspector = inspector_with_hours(make_user, days=range(4))  # Monday to Thursday
    Absence.objects.create(
        inspector=inspector,
        first_day=MONDAY + timedelta(days=1),
        last_day=MONDAY + timedelta(days=1),
    )
    houses(agency_a, 2)
    plan = propose(planner, last=MONDAY + timedelta(days=4)).json()
    url = f"{URL}{plan['id']}/visits/{plan['visits'][0]['id']}/"
    for day in ("2026-12-08", "2026-12-11"):  # absent; not a working day
        response = planner.patch(
            url, {"inspector": inspector.username, "day": day, "position": 1}, format="json"
        )
        assert response.status_code == 400
        assert "does not work on" in response.json()["errors"]["day"][0]
    assert planner.get(f"{URL}{plan['id']}/").json()["visits"] == plan["visits"]


def test_municipalities_sharing_inspectors_start_each_from_their_own_base(
    base, make_user, client_for, agency_a
):
    PlanningBase.objects.create(
        municipality_code="GM1842", name="Gemeentehuis Schipluiden", point=Point(4.3147, 51.9757)
    )
    planner = client_for(make_user(Role.PLANNER, ["GM1783", "GM1842"]))
    inspector_with_hours(make_user)
    delfland = make_user(Role.INSPECTOR, ["GM1842"])
    WorkingHours.objects.create(inspector=delfland, weekday=0, start=time(8), end=time(16, 30))
    houses(agency_a, 8)
    plan = propose(planner, municipality_codes=["GM1783", "GM1842"]).json()
    routes = planner.get(f"{URL}{plan['id']}/routes/").json()["features"]
    starts = {r["properties"]["inspector"]: r["geometry"]["coordinates"][0] for r in routes}
    assert starts[delfland.username] == [4.3147, 51.9757]
    assert len(starts) == 2


def test_a_location_always_has_coordinates_to_plan_with(provider_a, agency_a):
    """Planning needs every location's point; the registry never stores one without it."""
    from django.db import IntegrityError, transaction

    from inspections.models import HousingLocation

    payload = location_payload()
    del payload["point"]
    response = provider_a.post("/api/v1/locations/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["point"]
    location = register(agency_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        HousingLocation.objects.filter(pk=location.pk).update(point=None)


class TestRoutingCore:
    """The solver against the greedy baseline on a small, hand-made problem."""

    def shifts(self, days=1):
        return [routing.Shift(1, MONDAY + timedelta(days=d), 480, 990, 0, 0) for d in range(days)]

    def test_the_solver_is_never_worse_than_the_greedy_plan(self):
        stops = [
            routing.Stop(n, x, y, priority=50)
            for n, (x, y) in enumerate(
                [(5000, 0), (-5000, 0), (5000, 500), (-5000, 500), (0, 4000)]
            )
        ]
        travel = routing.Travel()
        solved = routing.solve(stops, self.shifts(), travel=travel, seconds=1)
        greedy = routing.greedy(stops, self.shifts(), travel=travel)
        assert solved.visits == greedy.visits == 5
        assert solved.length_m <= greedy.length_m

    def test_windows_and_days_are_kept(self):
        stops = [
            routing.Stop(1, 1000, 0, priority=1, mandatory=True, window=(600, 620)),
            routing.Stop(
                2, 2000, 0, priority=1, mandatory=True, fixed_day=MONDAY + timedelta(days=1)
            ),
        ]
        solution = routing.solve(stops, self.shifts(days=2), travel=routing.Travel(), seconds=1)
        planned = {
            stop: (route.shift.day, arrival)
            for route in solution.routes
            for stop, arrival in zip(route.stops, route.arrivals, strict=True)
        }
        assert 600 <= planned[0][1] <= 620
        assert planned[1][0] == MONDAY + timedelta(days=1)

    def test_work_is_spread_over_the_inspector_days(self):
        # Close together: one inspector could do them all in a day; five share them instead.
        stops = [routing.Stop(n, 1000 + 50 * n, 0, priority=50) for n in range(20)]
        shifts = [routing.Shift(i, MONDAY, 480, 990, 0, 0) for i in range(5)]
        solution = routing.solve(stops, shifts, travel=routing.Travel(), seconds=1)
        assert solution.visits == 20
        assert {len(route.stops) for route in solution.routes} <= {3, 4, 5}

    def test_nothing_to_plan(self):
        assert routing.solve([], self.shifts(), travel=routing.Travel()).visits == 0


class TestTeamSettings:
    """Working hours, absences and planning bases: who may set them, and bad input."""

    def test_the_planner_sets_hours_and_absences(self, planner, make_user, client_for):
        inspector = make_user(Role.INSPECTOR, ["GM1783"])
        hours = {"inspector": inspector.username, "weekday": 0, "start": "08:00", "end": "16:30"}
        created = planner.post("/api/v1/working-hours/", hours, format="json")
        assert created.status_code == 201, created.content
        again = planner.post("/api/v1/working-hours/", hours, format="json")
        assert again.status_code == 400  # one set of hours per weekday
        backwards = {**hours, "weekday": 1, "start": "16:30", "end": "08:00"}
        response = planner.post("/api/v1/working-hours/", backwards, format="json")
        assert response.json()["errors"]["end"] == ["The day ends before it starts."]
        absence = {
            "inspector": inspector.username,
            "first_day": "2026-12-09",
            "last_day": "2026-12-08",
        }
        response = planner.post("/api/v1/absences/", absence, format="json")
        assert response.json()["errors"]["last_day"] == ["The absence ends before it starts."]
        assert WorkingHours.objects.count() == 1
        assert not Absence.objects.exists()

        horst = make_user(Role.INSPECTOR, ["GM1507"])
        response = planner.post(
            "/api/v1/working-hours/", {**hours, "inspector": horst.username}, format="json"
        )
        assert response.status_code == 400  # not an inspector the planner sees
        colleague = client_for(make_user(Role.INSPECTOR, ["GM1783"]))
        assert colleague.get("/api/v1/working-hours/").json()["results"][0]["weekday"] == 0
        assert colleague.post("/api/v1/working-hours/", hours, format="json").status_code == 403
        horst_planner = client_for(make_user(Role.PLANNER, ["GM1507"]))
        assert horst_planner.get("/api/v1/working-hours/").json()["results"] == []
        url = f"/api/v1/working-hours/{created.json()['id']}/"
        assert horst_planner.delete(url).status_code == 404
        assert planner.delete(url).status_code == 204

    def test_planning_bases(self, planner, demo_region, make_user, client_for, provider_a):
        body = {
            "municipality_code": "GM1783",
            "name": "Gemeentehuis",
            "point": {"type": "Point", "coordinates": [4.2070, 51.9960]},
        }
        assert (
            planner.post(
                "/api/v1/planning-bases/", {**body, "municipality_code": "GM1507"}, format="json"
            ).status_code
            == 400
        )
        swapped = {**body, "point": {"type": "Point", "coordinates": [51.9960, 4.2070]}}
        response = planner.post("/api/v1/planning-bases/", swapped, format="json")
        assert response.status_code == 400
        assert PlanningBase.objects.count() == 0
        created = planner.post("/api/v1/planning-bases/", body, format="json")
        assert created.status_code == 201, created.content
        assert created.json()["speed_kmh"] == 30.0
        assert provider_a.get("/api/v1/planning-bases/").status_code == 403
        horst = client_for(make_user(Role.PLANNER, ["GM1507"]))
        assert horst.get("/api/v1/planning-bases/").json()["results"] == []


def test_plans_and_routes_read_in_a_constant_number_of_queries(planner, base, make_user, agency_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    inspector_with_hours(make_user)
    inspector_with_hours(make_user)
    houses(agency_a, 3)
    counts = []
    for extra in (0, 12):
        houses(agency_a, extra, around=(4.2150, 51.9900), first_number=200)
        plan = propose(planner, last=MONDAY + timedelta(days=1)).json()
        with CaptureQueriesContext(connection) as queries:
            detail = planner.get(f"{URL}{plan['id']}/")
            routes = planner.get(f"{URL}{plan['id']}/routes/")
        assert len(detail.json()["visits"]) == 3 + extra
        assert sum(f["properties"]["visits"] for f in routes.json()["features"]) == 3 + extra
        counts.append(len(queries))
    assert counts[0] == counts[1]
