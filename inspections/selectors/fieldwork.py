"""Reads for the field app and for planners: visits, their locations, templates and history."""

from datetime import date, datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet

from inspections.models import (
    ChecklistItem,
    ChecklistTemplate,
    FeedRemoval,
    Finding,
    HousingLocation,
    Inspection,
    InspectionStatus,
)

from .housing import municipality_ids, staff_municipalities

# Visits an inspector takes into the field.
FIELD_STATUSES = (InspectionStatus.ASSIGNED, InspectionStatus.IN_PROGRESS)
DONE_STATUSES = (InspectionStatus.SUBMITTED, InspectionStatus.REVIEWED, InspectionStatus.CLOSED)
# Changes committed a little before the previous sync can carry an older timestamp than it:
# each sync looks back this far, and the app applies what it gets as idempotent upserts.
SYNC_OVERLAP = timedelta(seconds=60)


def inspections_visible_to(user) -> QuerySet[Inspection]:
    """Municipal staff: the inspections of locations in their municipalities."""
    codes = staff_municipalities(user)
    if not codes:
        return Inspection.objects.none()
    return Inspection.objects.filter(location__municipality_id__in=municipality_ids(codes))


def inspection_details(queryset: QuerySet[Inspection]) -> QuerySet[Inspection]:
    return queryset.select_related(
        "location__municipality",
        "location__provider",
        "location__norm_profile",
        "template",
        "assigned_to",
        "submission",
    )


def templates_with_items(ids) -> list[ChecklistTemplate]:
    return list(
        ChecklistTemplate.objects.filter(pk__in=set(ids)).prefetch_related(
            Prefetch("items", queryset=ChecklistItem.objects.order_by("position"))
        )
    )


def latest_findings(location_ids) -> dict[int, list[Finding]]:
    """The findings of each location's most recent submitted inspection (two queries)."""
    latest: dict[int, int] = {}
    for location_id, inspection_id in (
        Inspection.objects.filter(location_id__in=set(location_ids), status__in=DONE_STATUSES)
        .order_by("location_id", "-submission__ended_at", "-id")
        .values_list("location_id", "id")
    ):
        latest.setdefault(location_id, inspection_id)
    by_location: dict[int, list[Finding]] = {location_id: [] for location_id in location_ids}
    inspection_to_location = {
        inspection_id: location_id for location_id, inspection_id in latest.items()
    }
    for finding in Finding.objects.filter(inspection_id__in=latest.values()).select_related(
        "item", "inspection__submission"
    ):
        by_location[inspection_to_location[finding.inspection_id]].append(finding)
    return by_location


def day_of_work(user, day: date) -> QuerySet[Inspection]:
    """The inspector's visits of a day, in route order."""
    return (
        inspection_details(
            Inspection.objects.filter(assigned_to=user, planned_date=day, status__in=FIELD_STATUSES)
        )
        .prefetch_related("location__bedrooms")
        .order_by("route_position", "window_start", "id")
    )


def changes_for(user, since: datetime | None):
    """What changed for this inspector since a sync: visits, their locations and checklists,
    and the visits to drop. Without `since`: everything open."""
    visits = Inspection.objects.filter(assigned_to=user).exclude(status=InspectionStatus.CANCELLED)
    if since is None:
        changed_visits = visits.filter(status__in=FIELD_STATUSES)
        removed = FeedRemoval.objects.none()
    else:
        after = since - SYNC_OVERLAP
        changed_visits = visits.filter(updated_at__gte=after)
        removed = FeedRemoval.objects.filter(user=user, removed_at__gte=after)
    open_visits = visits.filter(status__in=FIELD_STATUSES)
    locations = HousingLocation.objects.filter(inspections__in=open_visits).distinct()
    templates = ChecklistTemplate.objects.filter(inspections__in=open_visits).distinct()
    if since is not None:
        locations = (
            locations.filter(updated_at__gte=after)
            | HousingLocation.objects.filter(
                inspections__in=changed_visits.filter(status__in=FIELD_STATUSES)
            ).distinct()
        )
        templates = (
            templates.filter(Q(updated_at__gte=after))
            | ChecklistTemplate.objects.filter(
                inspections__in=changed_visits.filter(status__in=FIELD_STATUSES)
            ).distinct()
        )
    return {
        "inspections": inspection_details(changed_visits).order_by("id"),
        "locations": locations.select_related("municipality", "provider", "norm_profile")
        .prefetch_related("bedrooms")
        .order_by("id"),
        "templates": templates.prefetch_related(
            Prefetch("items", queryset=ChecklistItem.objects.order_by("position"))
        ).order_by("id"),
        "removed": removed.values_list("inspection_id", flat=True).distinct(),
    }
