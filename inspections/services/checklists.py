"""Checklists: checking an answer against its item, and the life of a template's versions.

A published version never changes (inspections planned with it keep it); to change a checklist,
make a new version (a draft copy), edit it, and publish it. Only drafts can be edited.
"""

import math
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from backend.api.problems import Conflict
from backend.audit.services import diff, record_event, snapshot
from inspections.models import (
    AnswerType,
    ChecklistItem,
    ChecklistTemplate,
    Measure,
    TemplateStatus,
)

SNF_INSPECTION = "snf-inspection"
TEXT_MAX_LENGTH = 2000

# What add_item and update_item may set on an item (the template and id are not theirs to set).
ITEM_FIELDS = [
    "code",
    "position",
    "theme",
    "question",
    "guidance",
    "answer_type",
    "choices",
    "passing_answer",
    "min_value",
    "max_value",
    "passing_choices",
    "measures",
    "photo_required",
    "failure_severity",
    "norm_article",
]
TEMPLATE_FIELDS = ["code", "version", "name", "source", "status", "published_at"]
_SHIFT = 10_000  # moves positions out of the way while renumbering (unique per template)


# Answers


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _as_decimal(item: ChecklistItem, value) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError(
            _("%(code)s expects a number, got %(value)s. Send a JSON number, without quotes.")
            % {"code": item.code, "value": _shown(value)}
        )
    if isinstance(value, float) and not math.isfinite(value):
        number = None
    else:
        try:
            number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite():
        raise ValueError(
            _("%(code)s expects a finite number, got %(value)s.")
            % {"code": item.code, "value": _shown(value)}
        )
    return number


def check_answer(item: ChecklistItem, value) -> bool | None:
    """Whether `value` passes `item`; None when there is no pass or fail.

    None for counting items (they record occupancy), text items, choice items without passing
    choices, number items without bounds, and for `value` None (not applicable). A value of the
    wrong kind raises ValueError with a message naming the item and what it expects.
    """
    if value is None:
        return None
    if item.answer_type == AnswerType.YES_NO:
        if not isinstance(value, bool):
            raise ValueError(
                _("%(code)s expects yes or no (true/false), got %(value)s.")
                % {"code": item.code, "value": _shown(value)}
            )
        return None if item.passing_answer is None else value == item.passing_answer
    if item.answer_type == AnswerType.NUMBER:
        number = _as_decimal(item, value)
        if item.measures:
            if number < 0 or number != number.to_integral_value():
                raise ValueError(
                    _(
                        "%(code)s counts %(what)s: expects a whole number of 0 or more, got %(value)s."
                    )
                    % {
                        "code": item.code,
                        "what": str(Measure(item.measures).label).lower(),
                        "value": _shown(value),
                    }
                )
            return None
        if item.min_value is None and item.max_value is None:
            return None
        return (item.min_value is None or number >= item.min_value) and (
            item.max_value is None or number <= item.max_value
        )
    if item.answer_type == AnswerType.CHOICE:
        if not isinstance(value, str) or value not in item.choices:
            raise ValueError(
                _("%(code)s expects one of %(choices)s, got %(value)s.")
                % {
                    "code": item.code,
                    "choices": ", ".join(f"'{c}'" for c in item.choices),
                    "value": _shown(value),
                }
            )
        return value in item.passing_choices if item.passing_choices else None
    if item.answer_type == AnswerType.TEXT:
        if not isinstance(value, str):
            raise ValueError(
                _("%(code)s expects text, got %(value)s.")
                % {"code": item.code, "value": _shown(value)}
            )
        if len(value) > TEXT_MAX_LENGTH:
            raise ValueError(
                _("%(code)s takes at most %(max)d characters of text, got %(length)d: shorten it.")
                % {"code": item.code, "max": TEXT_MAX_LENGTH, "length": len(value)}
            )
        return None
    raise ValueError(
        _("%(code)s has an unknown answer type %(type)s.")
        % {"code": item.code, "type": _shown(item.answer_type)}
    )


# Items of a draft


def _frozen(template: ChecklistTemplate) -> Conflict:
    return Conflict(
        _(
            "%(code)s: %(status)s version %(version)d never changes: make a new version "
            "(POST /api/v1/checklist-templates/%(id)d/new-version/) and edit that draft."
        )
        % {
            "code": template.code,
            "status": template.get_status_display().lower(),
            "version": template.version,
            "id": template.pk,
        }
    )


def _locked_draft(template_id: int) -> ChecklistTemplate:
    """The template, locked against a concurrent publish (PostgreSQL), or 409 if not a draft."""
    template = ChecklistTemplate.objects.select_for_update().get(pk=template_id)
    if template.status != TemplateStatus.DRAFT:
        raise _frozen(template)
    return template


def _item_errors(item: ChecklistItem) -> dict[str, list[str]]:
    """What is inconsistent in an item whose fields are each valid (see `_save_item`)."""
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    kind = item.answer_type
    if kind == AnswerType.YES_NO and item.passing_answer is None:
        add("passing_answer", _("A yes/no item needs the answer that passes: true or false."))
    if kind != AnswerType.YES_NO and item.passing_answer is not None:
        add("passing_answer", _("Only yes/no items have a passing answer; leave it empty."))
    if item.measures and kind != AnswerType.NUMBER:
        add("measures", _("Only number items count occupancy; make it a number item."))
    if kind != AnswerType.NUMBER and (item.min_value is not None or item.max_value is not None):
        add("min_value", _("Only number items have bounds; leave min_value and max_value empty."))
    if (
        item.min_value is not None
        and item.max_value is not None
        and Decimal(item.min_value) > Decimal(item.max_value)
    ):
        add("max_value", _("max_value is below min_value; swap them."))
    choices, passing = item.choices or [], item.passing_choices or []
    if kind == AnswerType.CHOICE:
        if (
            not isinstance(choices, list)
            or len(choices) < 2
            or not all(isinstance(c, str) and c for c in choices)
            or len(set(choices)) != len(choices)
        ):
            add("choices", _("A choice item needs at least two different choices (text)."))
        elif not isinstance(passing, list) or any(c not in choices for c in passing):
            add(
                "passing_choices",
                _("Passing choices must be among the choices: %(choices)s.")
                % {"choices": ", ".join(map(str, choices))},
            )
    elif choices or passing:
        add(
            "choices", _("Only choice items have choices; leave choices and passing_choices empty.")
        )
    return errors


def _save_item(item: ChecklistItem) -> None:
    try:
        # Each field on its own (types, lengths, choices), converting e.g. "1.5" to a Decimal.
        item.full_clean(exclude=["template"], validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    errors = _item_errors(item)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError as exc:
        raise Conflict(
            _(
                "Item code %(code)s is in use in this version already: choose another code, or "
                "change that item instead."
            )
            % {"code": item.code}
        ) from exc


def _unknown_fields(data: dict) -> None:
    unknown = sorted(set(data) - set(ITEM_FIELDS))
    if unknown:
        raise ValidationError(
            {
                name: [_("Not a field of a checklist item; use: %s.") % ", ".join(ITEM_FIELDS)]
                for name in unknown
            }
        )


def _shift_positions(template: ChecklistTemplate, *, from_position: int, by: int) -> None:
    """Move the items at `from_position` and after by `by` places, keeping positions unique."""
    items = ChecklistItem.objects.filter(template=template, position__gte=from_position)
    items.update(position=F("position") + _SHIFT)
    ChecklistItem.objects.filter(template=template, position__gte=_SHIFT + from_position).update(
        position=F("position") - _SHIFT + by
    )


@transaction.atomic
def add_item(*, actor, template: ChecklistTemplate, data: dict) -> ChecklistItem:
    """Add an item to a draft: at `position` (later items move down one) or, without, at the end."""
    template = _locked_draft(template.pk)
    _unknown_fields(data)
    values = dict(data)
    last = template.items.aggregate(last=Max("position"))["last"] or 0
    position = values.pop("position", None)
    if position is not None and (isinstance(position, bool) or not isinstance(position, int)):
        raise ValidationError({"position": [_("A position is a whole number, from 1.")]})
    if position is None or position > last:
        position = last + 1
    elif position < 1:
        raise ValidationError({"position": [_("Positions start at 1.")]})
    else:
        _shift_positions(template, from_position=position, by=1)
    item = ChecklistItem(template=template, position=position, **values)
    _save_item(item)
    record_event(
        actor=actor,
        action="create",
        target=item,
        municipality_code=None,
        changes=diff({}, snapshot(item, ITEM_FIELDS)),
        detail=f"{template.code} v{template.version}",
    )
    return item


@transaction.atomic
def update_item(*, actor, item: ChecklistItem, data: dict) -> ChecklistItem:
    """Change an item of a draft. Its position is changed by removing and adding it again."""
    template = _locked_draft(item.template_id)
    _unknown_fields(data)
    if "position" in data and data["position"] != item.position:
        raise ValidationError(
            {"position": [_("To move an item, remove it and add it again at its new position.")]}
        )
    before = snapshot(item, ITEM_FIELDS)
    for name, value in data.items():
        setattr(item, name, value)
    _save_item(item)
    record_event(
        actor=actor,
        action="update",
        target=item,
        municipality_code=None,
        changes=diff(before, snapshot(item, ITEM_FIELDS)),
        detail=f"{template.code} v{template.version}",
    )
    return item


@transaction.atomic
def remove_item(*, actor, item: ChecklistItem) -> None:
    """Remove an item from a draft; the items after it move up one place."""
    template = _locked_draft(item.template_id)
    record_event(
        actor=actor,
        action="delete",
        target=item,
        municipality_code=None,
        changes=diff(snapshot(item, ITEM_FIELDS), {}),
        detail=f"{template.code} v{template.version}",
    )
    position = item.position
    item.delete()
    _shift_positions(template, from_position=position + 1, by=-1)


# Versions


@transaction.atomic
def publish_template(*, actor, template: ChecklistTemplate) -> ChecklistTemplate:
    """Draft -> published: from now on it never changes, and inspections may be planned with it."""
    locked = ChecklistTemplate.objects.select_for_update().get(pk=template.pk)
    if locked.status != TemplateStatus.DRAFT:
        raise Conflict(
            _(
                "%(code)s version %(version)d is %(status)s already; a version is published once. "
                "To change it, make a new version."
            )
            % {
                "code": locked.code,
                "version": locked.version,
                "status": locked.get_status_display().lower(),
            }
        )
    items = list(locked.items.all())
    if not items:
        raise Conflict(
            _("%(code)s version %(version)d has no items: add items before publishing it.")
            % {"code": locked.code, "version": locked.version}
        )
    errors = {
        f"items[{item.code}].{field}": messages
        for item in items
        for field, messages in _item_errors(item).items()
    }
    if errors:
        raise ValidationError(errors)
    before = snapshot(locked, TEMPLATE_FIELDS)
    locked.status = TemplateStatus.PUBLISHED
    locked.published_at = timezone.now()
    locked.save(update_fields=["status", "published_at", "updated_at"])
    record_event(
        actor=actor,
        action="status_change",
        target=locked,
        municipality_code=None,
        changes=diff(before, snapshot(locked, TEMPLATE_FIELDS)),
        detail=f"published with {len(items)} items",
    )
    template.refresh_from_db()
    return template


@transaction.atomic
def new_version(*, actor, template: ChecklistTemplate) -> ChecklistTemplate:
    """A draft copy of a published version and its items, numbered after the latest version."""
    if template.status == TemplateStatus.DRAFT:
        raise Conflict(
            _(
                "%(code)s version %(version)d is a draft: edit it directly, or publish it "
                "before making a new version from it."
            )
            % {"code": template.code, "version": template.version}
        )
    draft = ChecklistTemplate.objects.filter(
        code=template.code, status=TemplateStatus.DRAFT
    ).first()
    if draft is not None:
        raise Conflict(
            _(
                "%(code)s has a draft already (version %(version)d, id %(id)d): edit and publish "
                "that one first."
            )
            % {"code": draft.code, "version": draft.version, "id": draft.pk}
        )
    latest = ChecklistTemplate.objects.filter(code=template.code).aggregate(v=Max("version"))["v"]
    copy = ChecklistTemplate(
        code=template.code,
        version=latest + 1,
        name=template.name,
        source=template.source,
        status=TemplateStatus.DRAFT,
    )
    try:
        with transaction.atomic():
            copy.save()
    except IntegrityError as exc:
        raise Conflict(
            _("Another version of %(code)s was made at the same moment; reload and retry.")
            % {"code": template.code}
        ) from exc
    ChecklistItem.objects.bulk_create(
        ChecklistItem(template=copy, **{name: getattr(item, name) for name in ITEM_FIELDS})
        for item in template.items.order_by("position")
    )
    record_event(
        actor=actor,
        action="create",
        target=copy,
        municipality_code=None,
        changes=diff({}, snapshot(copy, TEMPLATE_FIELDS)),
        detail=f"copied from version {template.version}",
    )
    return copy


def current_template(code: str = SNF_INSPECTION) -> ChecklistTemplate:
    """The latest published version of a checklist: the one new inspections are planned with."""
    template = (
        ChecklistTemplate.objects.filter(code=code, status=TemplateStatus.PUBLISHED)
        .order_by("-version")
        .first()
    )
    if template is None:
        raise Conflict(
            _(
                "No version of checklist %(code)s is published: a municipal administrator "
                "publishes one (POST /api/v1/checklist-templates/{id}/publish/)."
            )
            % {"code": code}
        )
    return template
