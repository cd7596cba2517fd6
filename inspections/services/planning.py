"""Planning inspections: propose visits for some municipalities and days, let the planner change
them, publish them as assignments for the field app.

What to visit, in this order: fixed appointments, re-inspections due (by their deadline),
complaints, periodic inspections due, then the highest risks. Who goes where when: routing.py.
"""

from collections import defaultdict
from datetime import date, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied, ValidationError

from backend.accounts.models import RoleAssignment, User
from backend.accounts.roles import Role
from backend.accounts.selectors import grants_for
from backend.api.problems import Conflict
from backend.audit.services import record_event
from geo.coordinates import RD_NEW, transformed
from inspections.models import (
    Absence,
    HousingLocation,
    Inspection,
    InspectionKind,
    InspectionStatus,
    LocationStatus,
    Plan,
    PlannedVisit,
    PlanningBase,
    PlanStatus,
    VisitReason,
    WorkingHours,
)
from inspections.selectors.risk import location_risk_scores

from . import routing
from .inspections import PLANNING_ROLES, assign_inspection, plan_inspection

MAX_PLAN_DAYS = 31
# Priorities: the kind of visit first, then within it (days overdue, risk score).
BASE_PRIORITY = {
    VisitReason.APPOINTMENT: 10_000,
    VisitReason.REINSPECTION: 9_000,
    VisitReason.COMPLAINT: 8_000,
    VisitReason.PERIODIC: 5_000,
    VisitReason.RISK: 0,
}
DONE = (InspectionStatus.SUBMITTED, InspectionStatus.REVIEWED, InspectionStatus.CLOSED)
OPEN = (InspectionStatus.PLANNED, InspectionStatus.ASSIGNED, InspectionStatus.IN_PROGRESS)


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _clock(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def require_planner(actor: User, municipality_codes: list[str]) -> None:
    allowed = grants_for(actor).municipalities(PLANNING_ROLES)
    missing = sorted(set(municipality_codes) - allowed)
    if missing:
        raise PermissionDenied(_("You do not plan for %(codes)s.") % {"codes": ", ".join(missing)})


def bases_for(municipality_codes: list[str]) -> dict[str, PlanningBase]:
    bases = {
        b.municipality_code: b
        for b in PlanningBase.objects.filter(municipality_code__in=municipality_codes)
    }
    missing = [code for code in municipality_codes if code not in bases]
    if missing:
        raise ValidationError(
            {
                "municipality_codes": [
                    _(
                        "%(codes)s has no planning base: give the office where inspectors start "
                        "their day (its coordinates), in the back office or POST /api/v1/planning-bases/."
                    )
                    % {"codes": ", ".join(missing)}
                ]
            }
        )
    return bases


def _rd(point) -> tuple[float, float]:
    rd = transformed(point, RD_NEW)
    return rd.x, rd.y


def home_municipalities(municipality_codes: list[str]) -> dict[int, str]:
    """The active inspectors of these municipalities, by id, each with the first of them that
    they inspect: their day starts and ends at its planning base."""
    inspects = defaultdict(set)
    for user_id, code in RoleAssignment.objects.filter(
        role=Role.INSPECTOR, municipality_code__in=municipality_codes, user__is_active=True
    ).values_list("user_id", "municipality_code"):
        inspects[user_id].add(code)
    return {
        user_id: next(code for code in municipality_codes if code in codes)
        for user_id, codes in sorted(inspects.items())
    }


def home_base(plan: Plan, inspector_id: int) -> PlanningBase:
    """Where this inspector's days in the plan start and end (the first municipality's base for
    an inspector who has lost the role since)."""
    homes = home_municipalities(plan.municipality_codes)
    code = homes.get(inspector_id, plan.municipality_codes[0])
    return PlanningBase.objects.get(municipality_code=code)


def works_on(inspector_id: int, day: date) -> WorkingHours | None:
    """The inspector's hours on that day; None on a day off or absent."""
    if Absence.objects.filter(
        inspector_id=inspector_id, first_day__lte=day, last_day__gte=day
    ).exists():
        return None
    return WorkingHours.objects.filter(inspector_id=inspector_id, weekday=day.weekday()).first()


def shifts_for(
    municipality_codes: list[str], first_day: date, last_day: date, bases
) -> list[routing.Shift]:
    """Every inspector-day: the inspectors of these municipalities, on their working days and
    hours, minus their absences, from the base of their home municipality."""
    inspectors = home_municipalities(municipality_codes)
    hours = {
        (h.inspector_id, h.weekday): h
        for h in WorkingHours.objects.filter(inspector_id__in=inspectors)
    }
    absent = {}
    for absence in Absence.objects.filter(
        inspector_id__in=inspectors, first_day__lte=last_day, last_day__gte=first_day
    ):
        day = max(absence.first_day, first_day)
        while day <= min(absence.last_day, last_day):
            absent[(absence.inspector_id, day)] = True
            day += timedelta(days=1)
    shifts = []
    day = first_day
    while day <= last_day:
        for inspector, code in inspectors.items():
            work = hours.get((inspector, day.weekday()))
            if work and not absent.get((inspector, day)):
                x, y = _rd(bases[code].point)
                shifts.append(
                    routing.Shift(inspector, day, _minutes(work.start), _minutes(work.end), x, y)
                )
        day += timedelta(days=1)
    return shifts


def candidates_for(
    municipality_codes, first_day: date, last_day: date, bases, risk_scores
) -> list[dict]:
    """Everything that could be visited in the period, each with its reason and priority."""
    locations = HousingLocation.objects.filter(municipality__code__in=municipality_codes).exclude(
        status=LocationStatus.CLOSED
    )
    candidates: dict[int, dict] = {}

    def add(location, reason, extra=0, **fields):
        priority = Decimal(BASE_PRIORITY[reason]) + Decimal(extra)
        if location.pk not in candidates or candidates[location.pk]["priority"] < priority:
            candidates[location.pk] = {
                "location": location,
                "reason": reason,
                "priority": priority,
                **fields,
            }

    open_inspections = Inspection.objects.filter(
        location__in=locations, status__in=OPEN
    ).select_related("location__municipality")
    for inspection in open_inspections.order_by("id"):
        location = inspection.location
        fixed = inspection.window_start is not None and inspection.planned_date is not None
        if fixed and first_day <= inspection.planned_date <= last_day:
            add(
                location,
                VisitReason.APPOINTMENT,
                inspection=inspection,
                fixed_day=inspection.planned_date,
                fixed_inspector=inspection.assigned_to_id,
                window=(
                    _minutes(inspection.window_start),
                    _minutes(inspection.window_end or time(23, 59)),
                ),
            )
        elif (
            inspection.kind == InspectionKind.REINSPECTION
            and inspection.status == InspectionStatus.PLANNED
        ):
            deadline = inspection.planned_date
            if deadline is None or deadline > last_day + timedelta(days=14):
                continue  # not due in this period
            overdue = max(0, (first_day - deadline).days) if deadline else 0
            # An overdue re-inspection may go on any day; one due later, by its deadline.
            latest = deadline if deadline and deadline >= first_day else None
            add(
                location,
                VisitReason.REINSPECTION,
                overdue,
                inspection=inspection,
                latest_day=latest,
            )
        elif (
            inspection.kind == InspectionKind.COMPLAINT
            and inspection.status == InspectionStatus.PLANNED
        ):
            add(
                location,
                VisitReason.COMPLAINT,
                risk_scores.get(location.pk, 0),
                inspection=inspection,
            )

    busy = set(open_inspections.values_list("location_id", flat=True))
    last_done = dict(
        Inspection.objects.filter(location__in=locations, status__in=DONE)
        .values("location_id")
        .annotate(last=Max("submission__ended_at"))
        .values_list("location_id", "last")
    )
    for location in locations.select_related("municipality").order_by("id"):
        if location.pk in candidates or location.pk in busy:
            continue
        interval = bases[location.municipality.code].periodic_interval_days
        last = last_done.get(location.pk)
        risk = risk_scores.get(location.pk, 0)
        if last is None or (first_day - timezone.localtime(last).date()).days >= interval:
            add(location, VisitReason.PERIODIC, risk)
        else:
            add(location, VisitReason.RISK, risk)
    return list(candidates.values())


def stop_for(candidate: dict, service_minutes: int) -> routing.Stop:
    x, y = _rd(candidate["location"].point)
    return routing.Stop(
        key=candidate["location"].pk,
        x=x,
        y=y,
        priority=float(candidate["priority"]),
        mandatory=candidate["reason"] in (VisitReason.APPOINTMENT, VisitReason.REINSPECTION),
        service_minutes=service_minutes,
        latest_day=candidate.get("latest_day"),
        fixed_day=candidate.get("fixed_day"),
        fixed_inspector=candidate.get("fixed_inspector"),
        window=candidate.get("window"),
    )


def _check_period(first_day: date, last_day: date) -> None:
    if last_day < first_day:
        raise ValidationError({"last_day": [_("The period ends before it starts.")]})
    if (last_day - first_day).days >= MAX_PLAN_DAYS:
        raise ValidationError(
            {"last_day": [_("Plan at most %(n)d days at once.") % {"n": MAX_PLAN_DAYS}]}
        )


@transaction.atomic
def propose_plan(
    *,
    actor: User,
    municipality_codes: list[str],
    first_day: date,
    last_day: date,
    seconds: float | None = None,
    risk_scores: dict[int, Decimal] | None = None,
) -> Plan:
    """Propose the visits of a period: what, who, which day, in which order, at what time."""
    require_planner(actor, municipality_codes)
    _check_period(first_day, last_day)
    bases = bases_for(municipality_codes)
    shifts = shifts_for(municipality_codes, first_day, last_day, bases)
    if not shifts:
        raise ValidationError(
            {"first_day": [_("No inspector works on these days: set their working hours first.")]}
        )
    if risk_scores is None:
        ids = HousingLocation.objects.filter(municipality__code__in=municipality_codes).values_list(
            "pk", flat=True
        )
        risk_scores = location_risk_scores(list(ids), as_of=first_day)
    candidates = candidates_for(municipality_codes, first_day, last_day, bases, risk_scores)
    base = bases[municipality_codes[0]]
    stops = [stop_for(c, base.visit_minutes) for c in candidates]
    travel = routing.Travel(speed_kmh=float(base.speed_kmh), detour=float(base.detour_factor))
    solution = routing.solve(stops, shifts, travel=travel, seconds=seconds)

    plan = Plan.objects.create(
        municipality_codes=municipality_codes,
        first_day=first_day,
        last_day=last_day,
        created_by=actor,
        solver={
            "method": solution.method,
            "seconds": round(solution.seconds, 2),
            "visits": solution.visits,
            "route_km": round(solution.length_m / 1000, 1),
            "candidates": len(stops),
            "inspector_days": len(shifts),
            "speed_kmh": float(base.speed_kmh),
            "detour_factor": float(base.detour_factor),
        },
        carried_over=[_carried(candidates[i]) for i in solution.dropped],
    )
    visits = []
    for route in solution.routes:
        for position, (index, arrival) in enumerate(
            zip(route.stops, route.arrivals, strict=True), start=1
        ):
            candidate = candidates[index]
            window = candidate.get("window")
            visits.append(
                PlannedVisit(
                    plan=plan,
                    location=candidate["location"],
                    inspection=candidate.get("inspection"),
                    reason=candidate["reason"],
                    priority=candidate["priority"],
                    inspector_id=route.shift.inspector,
                    day=route.shift.day,
                    position=position,
                    arrival=_clock(arrival),
                    window_start=_clock(window[0]) if window else None,
                    window_end=_clock(window[1]) if window else None,
                )
            )
    PlannedVisit.objects.bulk_create(visits)
    record_event(
        actor=actor,
        action="create",
        target=plan,
        municipality_code=municipality_codes[0],
        detail=f"{len(visits)} visits, {len(plan.carried_over)} carried over",
    )
    return plan


def _carried(candidate: dict) -> dict:
    location = candidate["location"]
    return {
        "location": location.pk,
        "address": location.address_line,
        "reason": candidate["reason"],
        "priority": float(candidate["priority"]),
        "inspection": candidate["inspection"].pk if candidate.get("inspection") else None,
    }


def _require_proposed(plan: Plan) -> None:
    if plan.status != PlanStatus.PROPOSED:
        raise Conflict(
            _("Plan %(id)s is %(status)s; only a proposed plan changes.")
            % {"id": plan.pk, "status": plan.status}
        )


def resequence(plan: Plan, inspector_id: int, day: date) -> None:
    """Positions 1..n and arrival times of one inspector-day after a change."""
    visits = list(
        plan.visits.filter(inspector_id=inspector_id, day=day)
        .select_related("location")
        .order_by("position", "id")
    )
    if not visits:
        return
    base = home_base(plan, inspector_id)
    travel = routing.Travel(speed_kmh=float(base.speed_kmh), detour=float(base.detour_factor))
    work = WorkingHours.objects.filter(inspector_id=inspector_id, weekday=day.weekday()).first()
    x, y = _rd(base.point)
    clock = _minutes(work.start) if work else 8 * 60
    for position, visit in enumerate(visits, start=1):
        vx, vy = _rd(visit.location.point)
        clock += travel.minutes(travel.metres(x, y, vx, vy))
        if visit.window_start:
            clock = max(clock, _minutes(visit.window_start))
        visit.position, visit.arrival = position, _clock(min(clock, 23 * 60 + 59))
        clock += base.visit_minutes
        x, y = vx, vy
    PlannedVisit.objects.bulk_update(visits, ["position", "arrival"])


@transaction.atomic
def move_visit(
    *, actor: User, visit: PlannedVisit, inspector: User, day: date, position: int
) -> PlannedVisit:
    """The planner moves a visit to another inspector, day or place in the route."""
    plan = visit.plan
    require_planner(actor, plan.municipality_codes)
    _require_proposed(plan)
    if not plan.first_day <= day <= plan.last_day:
        raise ValidationError({"day": [_("The day lies outside the plan's period.")]})
    if inspector.pk not in home_municipalities(plan.municipality_codes):
        raise ValidationError(
            {
                "inspector": [
                    _("%(name)s inspects none of these municipalities.")
                    % {"name": inspector.username}
                ]
            }
        )
    if works_on(inspector.pk, day) is None:
        raise ValidationError(
            {
                "day": [
                    _("%(name)s does not work on %(day)s (working hours or an absence).")
                    % {"name": inspector.username, "day": day.isoformat()}
                ]
            }
        )
    if visit.window_start and visit.reason == VisitReason.APPOINTMENT and day != visit.day:
        raise Conflict(
            _("This visit is an appointment on %(day)s; it cannot move to another day.")
            % {"day": visit.day}
        )
    old = (visit.inspector_id, visit.day)
    siblings = plan.visits.filter(inspector=inspector, day=day).exclude(pk=visit.pk)
    siblings.filter(position__gte=position).update(position=F("position") + 1)
    visit.inspector, visit.day, visit.position = inspector, day, position
    visit.save(update_fields=["inspector", "day", "position"])
    resequence(plan, *old)
    resequence(plan, inspector.pk, day)
    visit.refresh_from_db()
    return visit


@transaction.atomic
def remove_visit(*, actor: User, visit: PlannedVisit) -> None:
    """Take a visit out of a proposal: it is carried over."""
    plan = visit.plan
    require_planner(actor, plan.municipality_codes)
    _require_proposed(plan)
    plan.carried_over = [
        {
            "location": visit.location_id,
            "address": visit.location.address_line,
            "reason": visit.reason,
            "priority": float(visit.priority),
            "inspection": visit.inspection_id,
            "removed_by_planner": True,
        },
        *plan.carried_over,
    ]
    plan.save(update_fields=["carried_over", "updated_at"])
    inspector_id, day = visit.inspector_id, visit.day
    visit.delete()
    resequence(plan, inspector_id, day)


@transaction.atomic
def publish_plan(*, actor: User, plan: Plan) -> Plan:
    """Make every visit an assigned inspection; the field app picks them up."""
    require_planner(actor, plan.municipality_codes)
    plan = Plan.objects.select_for_update().get(pk=plan.pk)  # one publication, not two
    _require_proposed(plan)
    for visit in plan.visits.select_related("location__municipality", "inspection", "inspector"):
        inspection = visit.inspection
        if inspection is None:
            inspection = plan_inspection(
                actor=actor,
                location=visit.location,
                kind=InspectionKind.PERIODIC,
                reason=_("Planned: %(reason)s (priority %(priority)s)")
                % {"reason": visit.get_reason_display().lower(), "priority": visit.priority},
            )
        elif inspection.status not in (InspectionStatus.PLANNED, InspectionStatus.ASSIGNED):
            continue  # done meanwhile: nothing to assign
        assign_inspection(
            actor=actor,
            inspection=inspection,
            inspector=visit.inspector,
            planned_date=visit.day,
            window_start=visit.window_start,
            window_end=visit.window_end,
            route_position=visit.position,
        )
        if visit.inspection_id != inspection.pk:
            visit.inspection = inspection
            visit.save(update_fields=["inspection"])
    plan.status, plan.published_by, plan.published_at = PlanStatus.PUBLISHED, actor, timezone.now()
    plan.save(update_fields=["status", "published_by", "published_at", "updated_at"])
    record_event(
        actor=actor,
        action="status_change",
        target=plan,
        municipality_code=plan.municipality_codes[0],
        changes={"status": ["proposed", "published"]},
    )
    return plan
