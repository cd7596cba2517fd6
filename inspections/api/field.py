"""The field app's API: my work for a day, and a change feed to sync only what changed."""

import base64
import binascii
from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from backend.accounts.roles import Role
from backend.api.base import APIView
from backend.api.conditional import etag_for
from backend.api.permissions import HasRole
from inspections.selectors.fieldwork import (
    changes_for,
    day_of_work,
    latest_findings,
    templates_with_items,
)

from .inspection_serializers import (
    ChecklistTemplateSerializer,
    FieldLocationSerializer,
    FindingSerializer,
    InspectionSerializer,
)


class IsInspector(HasRole):
    roles = frozenset({Role.INSPECTOR})
    message = _("The field app is for inspectors.")


def _visit(inspection, findings, context) -> dict:
    data = InspectionSerializer(inspection, context=context).data
    return {
        "inspection": {**data, "etag": etag_for(data)},
        "location": FieldLocationSerializer(inspection.location, context=context).data,
        "last_findings": FindingSerializer(findings, many=True).data,
        "template": inspection.template_id,
    }


def encode_cursor(moment: datetime) -> str:
    return base64.urlsafe_b64encode(moment.isoformat().encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> datetime:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment = datetime.fromisoformat(base64.urlsafe_b64decode(padded).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValidationError(
            {"since": [_("Not a cursor this API gave out; sync without `since` to start again.")]}
        )
    return moment


class MyWorkView(APIView):
    """The inspector's visits of a day in route order, each with its location, the findings of
    the location's last inspection and its checklist: everything to work offline."""

    permission_classes = [IsInspector]

    @extend_schema(
        summary="My visits of a day (default today)",
        parameters=[
            OpenApiParameter(
                "date", str, description="YYYY-MM-DD, Europe/Amsterdam; default today."
            )
        ],
        responses=inline_serializer(
            "MyWork",
            {
                "date": serializers.DateField(),
                "visits": serializers.ListField(child=serializers.DictField()),
                "templates": ChecklistTemplateSerializer(many=True),
            },
        ),
    )
    def get(self, request):
        raw = request.query_params.get("date")
        day = parse_date(raw) if raw else timezone.localdate()
        if day is None:
            raise ValidationError({"date": [_("Give the day as YYYY-MM-DD.")]})
        visits = list(day_of_work(request.user, day))
        findings = latest_findings([v.location_id for v in visits])
        context = self.get_renderer_context()
        return Response(
            {
                "date": day,
                "visits": [_visit(v, findings.get(v.location_id, []), context) for v in visits],
                "templates": ChecklistTemplateSerializer(
                    templates_with_items(v.template_id for v in visits), many=True
                ).data,
            }
        )


class ChangesView(APIView):
    """What changed for the signed-in inspector since `since` (a cursor from a previous answer):
    visits, their locations and checklists, and the visits to remove. Apply them as upserts by
    id; an answer may repeat a change the app already has."""

    permission_classes = [IsInspector]

    @extend_schema(
        summary="Changes since the last sync",
        parameters=[
            OpenApiParameter(
                "since", str, description="The `cursor` of the previous answer; omit for all."
            )
        ],
        responses=inline_serializer(
            "Changes",
            {
                "cursor": serializers.CharField(),
                "inspections": InspectionSerializer(many=True),
                "locations": FieldLocationSerializer(many=True),
                "templates": ChecklistTemplateSerializer(many=True),
                "removed": serializers.ListField(child=serializers.DictField()),
            },
        ),
    )
    def get(self, request):
        now = timezone.now()
        since = request.query_params.get("since")
        changes = changes_for(request.user, decode_cursor(since) if since else None)
        return Response(
            {
                "cursor": encode_cursor(now),
                "inspections": InspectionSerializer(changes["inspections"], many=True).data,
                "locations": FieldLocationSerializer(changes["locations"], many=True).data,
                "templates": ChecklistTemplateSerializer(changes["templates"], many=True).data,
                "removed": [{"type": "inspection", "id": pk} for pk in changes["removed"]],
            }
        )
