"""Read-only API over the audit log, for municipal administrators.

Reading the audit log is not itself audited (that would log every look at the log).
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins

from backend.api.base import GenericViewSet
from backend.api.conditional import ConditionalRetrieveMixin
from backend.api.pagination import CursorPagination
from backend.api.permissions import IsMunicipalAdmin

from .filters import AuditEventFilter
from .selectors import audit_events_visible_to
from .serializers import AuditEventSerializer


class AuditEventPagination(CursorPagination):
    ordering = ("-occurred_at", "-id")


@extend_schema_view(
    list=extend_schema(summary="Audit events of the municipalities you administer", tags=["audit"]),
    retrieve=extend_schema(summary="One audit event", tags=["audit"]),
)
class AuditEventViewSet(ConditionalRetrieveMixin, mixins.ListModelMixin, GenericViewSet):
    """Who created, changed, viewed or exported what, and when: newest first."""

    permission_classes = [IsMunicipalAdmin]
    serializer_class = AuditEventSerializer
    pagination_class = AuditEventPagination
    filterset_class = AuditEventFilter

    def get_queryset(self):
        return audit_events_visible_to(self.request.user)
