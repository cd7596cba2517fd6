"""Inspectors' calendar feeds: an iCalendar (RFC 5545) of their published visits.

Calendar apps cannot send a token, so the secret in the feed's address is the credential. Only
its SHA-256 is stored: a leaked database does not leak working calendars, and a new address
replaces the old one.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event
from rest_framework.exceptions import NotFound, PermissionDenied

from backend.accounts.models import User
from backend.accounts.roles import Role
from backend.accounts.selectors import grants_for
from inspections.models import (
    CalendarFeed,
    InspectionStatus,
    PlannedVisit,
    PlanningBase,
    PlanStatus,
)

# What a feed shows: the last month (for the record) and the next three.
DAYS_BACK = 30
DAYS_AHEAD = 90


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_feed_secret(inspector: User) -> str:
    """A new secret for the inspector's feed; the previous address stops working."""
    if not grants_for(inspector).has_any([Role.INSPECTOR]):
        raise PermissionDenied(_("Calendar feeds are for inspectors."))
    secret = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(
        inspector=inspector, defaults={"secret_sha256": _digest(secret)}
    )
    return secret


def inspector_of(secret: str) -> User:
    """The active inspector whose feed has this secret."""
    feed = CalendarFeed.objects.select_related("inspector").filter(secret_sha256=_digest(secret))
    feed = feed.first()
    if feed is None or not feed.inspector.is_active:
        raise NotFound(_("No calendar at this address (it may have been replaced by a newer one)."))
    return feed.inspector


def ical(inspector: User) -> bytes:
    """The inspector's published visits, one event each, in route order."""
    today = timezone.localdate()
    visits = (
        PlannedVisit.objects.filter(
            inspector=inspector,
            plan__status=PlanStatus.PUBLISHED,
            day__gte=today - timedelta(days=DAYS_BACK),
            day__lte=today + timedelta(days=DAYS_AHEAD),
        )
        .exclude(inspection__status=InspectionStatus.CANCELLED)
        .select_related("location", "plan")
        .order_by("day", "position")
    )
    minutes = dict(PlanningBase.objects.values_list("municipality_code", "visit_minutes"))
    calendar = Calendar()
    calendar.add("prodid", "-//Flexwonen Inspect//planning//NL")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Inspecties {inspector.username}")
    for visit in visits:
        start = timezone.make_aware(datetime.combine(visit.day, visit.arrival))
        length = minutes.get(visit.plan.municipality_codes[0], 45)
        event = Event()
        event.add("uid", f"visit-{visit.pk}@flexwonen-inspect")
        event.add("dtstamp", visit.plan.published_at or timezone.now())
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=length))
        event.add(
            "summary",
            f"{visit.position}. {visit.get_reason_display()}: {visit.location.address_line}",
        )
        event.add("location", visit.location.address_line)
        event.add("geo", (visit.location.point.y, visit.location.point.x))
        calendar.add_component(event)
    return calendar.to_ical()
