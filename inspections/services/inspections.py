"""Planning and moving inspections through their states; only legal transitions happen.

planned → assigned → in progress → submitted → reviewed → closed, plus no access and
cancelled. Submitting is its own service (submissions.py), as it carries the field data.
"""

from datetime import date, time

from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied, ValidationError

from backend.accounts.models import User
from backend.accounts.roles import Role
from backend.accounts.selectors import grants_for
from backend.api.problems import Conflict
from backend.audit.services import diff, record_event, snapshot
from inspections.models import (
    ChecklistTemplate,
    FeedRemoval,
    HousingLocation,
    Inspection,
    InspectionStatus,
    LocationStatus,
    TemplateStatus,
)
from inspections.services.checklists import current_template

S = InspectionStatus
PLANNING_ROLES = frozenset({Role.PLANNER, Role.MUNICIPAL_ADMIN, Role.ENFORCEMENT_OFFICER})
REVIEWING_ROLES = frozenset({Role.ENFORCEMENT_OFFICER, Role.MUNICIPAL_ADMIN, Role.PLANNER})

# (from, to) -> who may: "planning" staff, "reviewing" staff, or "assignee" (the inspector).
TRANSITIONS = {
    (S.PLANNED, S.CANCELLED): "planning",
    (S.ASSIGNED, S.PLANNED): "planning",  # unassign
    (S.ASSIGNED, S.CANCELLED): "planning",
    (S.ASSIGNED, S.IN_PROGRESS): "assignee",
    (S.ASSIGNED, S.NO_ACCESS): "assignee",
    (S.IN_PROGRESS, S.NO_ACCESS): "assignee",
    (S.SUBMITTED, S.REVIEWED): "reviewing",
    (S.REVIEWED, S.CLOSED): "reviewing",
    # No way back from no access: the refusal stays on record (it counts in the risk score);
    # trying again is a new visit.
    (S.NO_ACCESS, S.CLOSED): "reviewing",
}
# Assigning (planned → assigned) and submitting (→ submitted) have their own services.
NEEDS_REASON = frozenset({S.CANCELLED, S.NO_ACCESS})
OPEN_FOR_FIELDWORK = (S.ASSIGNED, S.IN_PROGRESS)


def _municipality_of(inspection: Inspection) -> str:
    return inspection.location.municipality.code


def _may(actor: User, who: str, inspection: Inspection) -> bool:
    code = _municipality_of(inspection)
    if who == "assignee":
        return inspection.assigned_to_id == actor.pk
    roles = PLANNING_ROLES if who == "planning" else REVIEWING_ROLES
    return code in grants_for(actor).municipalities(roles)


def possible_transitions(*, actor: User, inspection: Inspection) -> list[str]:
    return sorted(
        to
        for (source, to), who in TRANSITIONS.items()
        if source == inspection.status and _may(actor, who, inspection)
    )


def _require_planner(actor: User, municipality_code: str) -> None:
    if municipality_code not in grants_for(actor).municipalities(PLANNING_ROLES):
        raise PermissionDenied(
            _(
                "Only planners, enforcement officers and administrators of %(code)s plan its inspections."
            )
            % {"code": municipality_code}
        )


@transaction.atomic
def plan_inspection(
    *,
    actor: User | None,
    location: HousingLocation,
    kind: str,
    planned_date: date | None = None,
    reason: str = "",
    template: ChecklistTemplate | None = None,
    follows: Inspection | None = None,
) -> Inspection:
    """A new inspection of a location, planned (not yet assigned)."""
    if actor is not None:
        _require_planner(actor, location.municipality.code)
    if location.status == LocationStatus.CLOSED:
        raise Conflict(_("Location %(id)s is closed; it is not inspected.") % {"id": location.pk})
    template = template or current_template()
    if template.status != TemplateStatus.PUBLISHED:
        raise ValidationError({"template": [_("Only a published checklist can be used.")]})
    inspection = Inspection.objects.create(
        location=location,
        kind=kind,
        planned_date=planned_date,
        reason=reason,
        template=template,
        follows=follows,
        created_by=actor,
    )
    record_event(
        actor=actor,
        action="create",
        target=inspection,
        municipality_code=location.municipality.code,
        changes={"kind": [None, kind], "planned_date": [None, planned_date]},
    )
    return inspection


PLANNING_FIELDS = [
    "planned_date",
    "window_start",
    "window_end",
    "route_position",
    "reason",
    "template_id",
]


@transaction.atomic
def schedule_inspection(*, actor: User, inspection: Inspection, data: dict) -> Inspection:
    """Change when (and with which checklist) an inspection happens; not once it is submitted."""
    _require_planner(actor, _municipality_of(inspection))
    if inspection.status not in (S.PLANNED, S.ASSIGNED):
        raise Conflict(
            _("An inspection that is %(status)s can no longer be rescheduled.")
            % {"status": inspection.get_status_display().lower()}
        )
    before = snapshot(inspection, PLANNING_FIELDS)
    for field, value in data.items():
        setattr(inspection, field, value)
    start, end = inspection.window_start, inspection.window_end
    if start and end and end < start:
        raise ValidationError({"window_end": [_("The window ends before it starts.")]})
    if inspection.template.status != TemplateStatus.PUBLISHED:
        raise ValidationError({"template": [_("Only a published checklist can be used.")]})
    inspection.save()
    changes = diff(before, snapshot(inspection, PLANNING_FIELDS))
    if changes:
        record_event(
            actor=actor,
            action="update",
            target=inspection,
            municipality_code=_municipality_of(inspection),
            changes=changes,
        )
    return inspection


def _remove_from_feed(inspection: Inspection) -> None:
    if inspection.assigned_to_id:
        FeedRemoval.objects.create(user_id=inspection.assigned_to_id, inspection_id=inspection.pk)


@transaction.atomic
def assign_inspection(
    *,
    actor: User,
    inspection: Inspection,
    inspector: User,
    planned_date: date | None = None,
    window_start: time | None = None,
    window_end: time | None = None,
    route_position: int | None = None,
) -> Inspection:
    """Give a planned (or re-give an assigned) inspection to an inspector of its municipality."""
    code = _municipality_of(inspection)
    _require_planner(actor, code)
    if inspection.status not in (S.PLANNED, S.ASSIGNED):
        raise Conflict(
            _("A %(status)s inspection cannot be assigned; possible: %(possible)s.")
            % {
                "status": inspection.status,
                "possible": ", ".join(possible_transitions(actor=actor, inspection=inspection))
                or "-",
            },
            possible_transitions=possible_transitions(actor=actor, inspection=inspection),
        )
    if code not in grants_for(inspector).municipalities([Role.INSPECTOR]):
        raise ValidationError(
            {
                "inspector": [
                    _("%(name)s is not an inspector in %(code)s.")
                    % {"name": inspector.username, "code": code}
                ]
            }
        )
    previous = inspection.assigned_to_id
    if previous and previous != inspector.pk:
        _remove_from_feed(inspection)
    old_status = inspection.status
    inspection.assigned_to = inspector
    inspection.status = S.ASSIGNED
    for field, value in (
        ("planned_date", planned_date),
        ("window_start", window_start),
        ("window_end", window_end),
        ("route_position", route_position),
    ):
        if value is not None:
            setattr(inspection, field, value)
    if inspection.planned_date is None:
        raise ValidationError({"planned_date": [_("Give the day of the visit.")]})
    inspection.save()
    record_event(
        actor=actor,
        action="update",
        target=inspection,
        municipality_code=code,
        changes={"status": [old_status, S.ASSIGNED], "assigned_to": [previous, inspector.pk]},
    )
    return inspection


@transaction.atomic
def transition_inspection(
    *, actor: User, inspection: Inspection, to: str, reason: str = ""
) -> Inspection:
    """Move an inspection to another state, if that is a legal step for this user."""
    possible = possible_transitions(actor=actor, inspection=inspection)
    if to not in possible:
        raise Conflict(
            _(
                "An inspection that is %(status)s cannot become %(to)s by you; possible: %(possible)s."
            )
            % {"status": inspection.status, "to": to, "possible": ", ".join(possible) or "-"},
            possible_transitions=possible,
        )
    if to in NEEDS_REASON and not reason.strip():
        raise ValidationError({"reason": [_("Give the reason (e.g. nobody opened the door).")]})
    old = inspection.status
    if to in (S.PLANNED, S.CANCELLED):
        _remove_from_feed(inspection)
        if to == S.PLANNED:
            inspection.assigned_to = None
    inspection.status, inspection.status_reason = to, reason
    inspection.save()
    record_event(
        actor=actor,
        action="status_change",
        target=inspection,
        municipality_code=_municipality_of(inspection),
        changes={"status": [old, to]},
        detail=reason,
    )
    return inspection
