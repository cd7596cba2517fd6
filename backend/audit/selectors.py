"""Reads of the audit log."""

from django.db.models import QuerySet

from backend.accounts.models import User
from backend.accounts.selectors import administered_municipalities

from .models import AuditEvent


def audit_events_visible_to(user: User) -> QuerySet[AuditEvent]:
    """The events of the municipalities `user` administers, newest first.

    Events without a municipality are never in it: only superusers see those, in the admin.
    """
    return AuditEvent.objects.filter(
        municipality_code__in=administered_municipalities(user)
    ).order_by("-occurred_at", "-id")
