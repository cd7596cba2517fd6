"""Writes to the audit log, and helpers to describe what changed.

Typical use in a service that changes a record::

    before = snapshot(location, FIELDS)
    ... change and save location ...
    record_event(
        actor=user,
        action=Action.UPDATE,
        target=location,
        municipality_code=location.municipality_code,
        changes=diff(before, snapshot(location, FIELDS)),
    )

The event is written in the caller's transaction, so it is rolled back with a failed request.
"""

import copy
import json
import re
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from .models import Action, AuditEvent

_MUNICIPALITY_CODE = re.compile(r"^GM\d{4}$")
_REPR_LENGTH = AuditEvent._meta.get_field("target_repr").max_length
_DETAIL_LENGTH = AuditEvent._meta.get_field("detail").max_length
_ID_LENGTH = AuditEvent._meta.get_field("target_id").max_length


class AuditJSONEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder (dates, Decimals, UUIDs) plus geometries, records, sets and files."""

    def default(self, o):
        if isinstance(o, GEOSGeometry):
            return o.ewkt  # WKT with its SRID: "SRID=4326;POINT (4.2 52)"
        if isinstance(o, models.Model):
            return o.pk
        if isinstance(o, (set, frozenset)):
            return sorted(o, key=str)
        if isinstance(o, models.fields.files.FieldFile):
            return o.name or None
        try:
            return super().default(o)
        except TypeError:
            # The log must never make the change it records fail; keep a readable form.
            return str(o)


def json_safe(value: Any) -> Any:
    """`value` as plain JSON types (str, number, bool, None, list, dict)."""
    return json.loads(json.dumps(value, cls=AuditJSONEncoder))


def _equal(old: Any, new: Any) -> bool:
    if type(old) is not type(new):  # 1 == True in Python, not in the log
        return False
    try:
        return bool(old == new)
    except Exception:  # e.g. comparing a geometry with something odd
        return False


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)  # keeps 1 and true apart, unlike ==


def diff(before: dict, after: dict) -> dict:
    """{key: [old, new]} for the keys whose value changed, JSON-safe. A missing key counts as None.

    A value counts as unchanged when it is equal, or when both sides serialise the same (so
    "12.50" read from a form and Decimal("12.50") from the database are no change).
    """
    changes = {}
    for key in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(key), after.get(key)
        if _equal(old, new):
            continue
        old_json, new_json = json_safe(old), json_safe(new)
        if _canonical(old_json) != _canonical(new_json):
            changes[str(key)] = [old_json, new_json]
    return changes


def snapshot(instance: models.Model, fields: list[str]) -> dict:
    """The values of `fields` on `instance`, copied, for a before/after `diff`.

    A foreign key named by its field name ("organisation") is read as its id, without a query.
    """
    values = {}
    for name in fields:
        attname = name
        try:
            field = instance._meta.get_field(name)
        except FieldDoesNotExist:  # a property or plain attribute
            field = None
        if field is not None and getattr(field, "many_to_one", False) and field.concrete:
            attname = field.attname
        values[name] = copy.deepcopy(getattr(instance, attname))
    return values


def record_event(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    target_type: str | None = None,
    target_id: str | int | None = None,
    target_repr: str | None = None,
    municipality_code: str | None = None,
    changes: dict | None = None,
    detail: str = "",
) -> AuditEvent:
    """Append one event to the audit log and return it.

    `actor` is the user who acted; None or an anonymous user is stored as no actor. `target` is
    the model instance acted on: it fills `target_type` ("app_label.model_name"), `target_id`
    and `target_repr` unless those are given. Without `target`, give `target_type` at least.
    `municipality_code` decides which municipal administrators may read the event; when it is
    not given, the target's own `municipality_code` attribute (if it has one) is used. Events
    without one are visible to superusers only (in the admin).
    """
    if action not in Action.values:
        raise ValueError(f"Unknown audit action {action!r}; use one of {Action.values}.")
    if target is not None:
        if target.pk is None:
            raise ValueError("Record the event after saving the target: it has no primary key.")
        if target_type is None:
            target_type = target._meta.concrete_model._meta.label_lower
        if target_id is None:
            target_id = target.pk
        if target_repr is None:
            target_repr = str(target)
        if municipality_code is None:
            municipality_code = getattr(target, "municipality_code", None)
    if not target_type:
        raise ValueError("An audit event needs a target or a target_type.")
    if municipality_code is not None and not _MUNICIPALITY_CODE.match(municipality_code):
        raise ValueError(f"{municipality_code!r} is not a CBS municipality code (GM + 4 digits).")
    target_id = "" if target_id is None else str(target_id)
    if len(target_id) > _ID_LENGTH:
        raise ValueError(f"target_id is longer than {_ID_LENGTH} characters.")

    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if authenticated else None,
        actor_username=actor.get_username() if authenticated else "",
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_repr=_truncate(target_repr or "", _REPR_LENGTH),
        municipality_code=municipality_code,
        changes=json_safe(changes or {}),
        detail=_truncate(detail, _DETAIL_LENGTH),
    )


def _truncate(text: str, length: int) -> str:
    text = str(text)
    return text if len(text) <= length else text[: length - 1] + "…"
