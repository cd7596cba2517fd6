"""Helpers to play the field app: a planned and assigned visit, and a complete submission."""

import copy
import uuid
from datetime import timedelta

from django.utils import timezone

from inspections.models import ChecklistTemplate, Inspection, TemplateStatus
from inspections.services.inspections import assign_inspection, plan_inspection


def template() -> ChecklistTemplate:
    return ChecklistTemplate.objects.get(code="snf-inspection", status=TemplateStatus.PUBLISHED)


def passing_value(item):
    if item.measures:
        return None  # counted in `observed`
    if item.answer_type == "yes_no":
        return item.passing_answer
    if item.answer_type == "number":
        return float(item.min_value or 0)
    if item.answer_type == "choice":
        return (item.passing_choices or item.choices)[0]
    return "Geen bijzonderheden"


def failing_value(item):
    if item.answer_type == "yes_no":
        return not item.passing_answer
    if item.answer_type == "number":
        return float(item.min_value) - 1
    if item.answer_type == "choice":
        return next(c for c in item.choices if c not in item.passing_choices)
    raise ValueError(item.code)


def visit(location, inspector, planner, *, day=None) -> Inspection:
    """A periodic inspection of `location`, assigned to `inspector` for `day` (today)."""
    inspection = plan_inspection(actor=planner, location=location, kind="periodic")
    return assign_inspection(
        actor=planner,
        inspection=inspection,
        inspector=inspector,
        planned_date=day or timezone.localdate(),
    )


def submission(failing=(), photos=(), findings=(), persons=6, **changes) -> dict:
    """A complete submission: every item answered (passing unless listed in `failing`)."""
    now = timezone.now()
    items = list(template().items.order_by("position"))
    body = {
        "id": str(uuid.uuid4()),
        "started_at": (now - timedelta(hours=1)).isoformat(),
        "ended_at": (now - timedelta(minutes=10)).isoformat(),
        "arrival": {"point": {"type": "Point", "coordinates": [4.2051, 51.9951]}, "accuracy_m": 8},
        "observed": {"persons": persons, "beds_in_use": persons, "bedrooms_in_use": 3},
        "answers": [
            {
                "item": item.code,
                "value": failing_value(item) if item.code in failing else passing_value(item),
            }
            for item in items
        ],
        "findings": list(findings),
        "photos": list(photos),
    }
    body.update(copy.deepcopy(changes))
    return body


def stored_photo(inspection, inspector, data: bytes | None = None):
    """A photo uploaded through the service, as the app would (a small JPEG unless given)."""
    from inspections.services.photos import store_photo
    from tests import images

    photo, _created = store_photo(
        inspection=inspection,
        photo_id=uuid.uuid4(),
        data=data or images.jpeg(),
        uploaded_by=inspector,
    )
    return photo
