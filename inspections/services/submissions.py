"""An inspection made offline, submitted in one atomic request: all of it is stored, or nothing.

The app names the submission with a UUID it generated. The same UUID with the same content is
a replay and returns what was stored; the same UUID with other content is a conflict. Photos
are uploaded separately and may come before or after: the submission names them by the app's
photo id and SHA-256, and lists those still to come.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.utils import json
from rest_framework.utils.encoders import JSONEncoder

from backend.accounts.models import User
from backend.api.problems import Conflict
from backend.audit.services import record_event
from geo.coordinates import distance_m
from inspections.models import (
    Answer,
    Finding,
    Inspection,
    InspectionKind,
    InspectionStatus,
    OccupancyObservation,
    Photo,
    PhotoReference,
    Severity,
    Submission,
    Violation,
)

from .checklists import check_answer, current_template
from .inspections import OPEN_FOR_FIELDWORK, plan_inspection, possible_transitions

# Clocks of phones drift; a submission from further in the future than this is refused.
CLOCK_SKEW = timedelta(minutes=10)
SEVERITY_ORDER = [Severity.MINOR, Severity.MAJOR, Severity.CRITICAL]


@dataclass
class SubmissionResult:
    submission: Submission
    created: bool
    missing_photos: list[str] = field(default_factory=list)
    reinspection: Inspection | None = None


def _replay_or_conflict(
    existing: Submission, inspection: Inspection, content_sha256: str
) -> SubmissionResult:
    if existing.inspection_id != inspection.pk:
        raise Conflict(
            _("Submission %(id)s belongs to inspection %(other)s, not %(this)s.")
            % {"id": existing.pk, "other": existing.inspection_id, "this": inspection.pk}
        )
    if existing.content_sha256 != content_sha256:
        raise Conflict(
            _(
                "Submission %(id)s was received before with other content. A submission never "
                "changes: if this is a new one, give it a new id."
            )
            % {"id": existing.pk},
            submission=str(existing.pk),
        )
    return SubmissionResult(existing, created=False, missing_photos=missing_photos(existing))


def canonical_sha256(payload) -> str:
    """The same content gives the same hash, however its keys were ordered or spaced."""
    text = json.dumps(
        payload, cls=JSONEncoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode()).hexdigest()


def missing_photos(submission: Submission) -> list[str]:
    uploaded = set(
        Photo.objects.filter(inspection_id=submission.inspection_id).values_list("id", flat=True)
    )
    return [
        str(ref.photo_id)
        for ref in submission.photo_references.all()
        if ref.photo_id not in uploaded
    ]


def _check_state(actor: User, inspection: Inspection) -> None:
    if inspection.assigned_to_id != actor.pk:
        raise PermissionDenied(
            _("Inspection %(id)s is assigned to someone else.") % {"id": inspection.pk}
        )
    if inspection.status not in OPEN_FOR_FIELDWORK:
        possible = possible_transitions(actor=actor, inspection=inspection)
        raise Conflict(
            _("Inspection %(id)s is %(status)s; it cannot be submitted. Possible: %(possible)s.")
            % {
                "id": inspection.pk,
                "status": inspection.status,
                "possible": ", ".join(possible) or "-",
            },
            possible_transitions=possible,
        )


def _answers(inspection: Inspection, given: list[dict], observed: dict) -> list[Answer]:
    items = {item.code: item for item in inspection.template.items.all()}
    errors: dict[str, list[str]] = {}
    answers, seen = [], set()
    for index, answer in enumerate(given):
        code = answer["item"]
        item = items.get(code)
        if item is None:
            errors[f"answers[{index}].item"] = [
                _("%(code)s is not an item of checklist %(template)s.")
                % {"code": code, "template": inspection.template}
            ]
            continue
        if code in seen:
            errors[f"answers[{index}].item"] = [_("%(code)s is answered twice.") % {"code": code}]
            continue
        seen.add(code)
        value = answer.get("value")
        if item.measures:
            counted = observed[item.measures]
            if value is not None and value != counted:
                errors[f"answers[{index}].value"] = [
                    _("%(code)s says %(value)s but observed.%(measure)s says %(counted)s.")
                    % {"code": code, "value": value, "measure": item.measures, "counted": counted}
                ]
                continue
            value = counted
        try:
            passed = check_answer(item, value)
        except ValueError as exc:
            errors[f"answers[{index}].value"] = [str(exc)]
            continue
        answers.append(Answer(item=item, value=value, passed=passed, note=answer.get("note", "")))
    for code, item in items.items():
        if code not in seen and item.measures:  # counts come from `observed` when not answered
            answers.append(Answer(item=item, value=observed[item.measures], passed=None))
            seen.add(code)
    missing = [
        code for code, item in items.items() if code not in seen and item.answer_type != "text"
    ]
    if missing:
        errors["answers"] = [
            _("Answer every item (null if it does not apply); missing: %(codes)s.")
            % {"codes": ", ".join(missing)}
        ]
    if errors:
        raise ValidationError(errors)
    return answers


def _check_photos(inspection: Inspection, photos: list[dict], items: dict) -> None:
    errors = {}
    known = {p.pk: p for p in Photo.objects.filter(pk__in=[ref["id"] for ref in photos])}
    for index, ref in enumerate(photos):
        photo = known.get(ref["id"])
        if photo and photo.inspection_id != inspection.pk:
            errors[f"photos[{index}].id"] = [
                _("Photo %(id)s belongs to another inspection; it is unknown here.")
                % {"id": ref["id"]}
            ]
        elif photo and photo.sha256 != ref["sha256"]:
            errors[f"photos[{index}].sha256"] = [
                _("Photo %(id)s was uploaded with other content (SHA-256 %(sha)s).")
                % {"id": ref["id"], "sha": photo.sha256}
            ]
        if ref.get("item") and ref["item"] not in items:
            errors[f"photos[{index}].item"] = [
                _("%(code)s is not an item of this checklist.") % {"code": ref["item"]}
            ]
    if errors:
        raise ValidationError(errors)


def _findings(
    inspection: Inspection,
    given: list[dict],
    answers: list[Answer],
    items: dict,
    photos: list[dict],
):
    """The inspector's findings, plus one for every failing answer they gave none for."""
    errors = {}
    findings = []
    photo_ids = {ref["id"] for ref in photos}
    for index, finding in enumerate(given):
        code = finding.get("item")
        if code and code not in items:
            errors[f"findings[{index}].item"] = [
                _("%(code)s is not an item of this checklist.") % {"code": code}
            ]
        unknown = [str(p) for p in finding.get("photos", []) if p not in photo_ids]
        if unknown:
            errors[f"findings[{index}].photos"] = [
                _("Name these photos in `photos` too: %(ids)s.") % {"ids": ", ".join(unknown)}
            ]
        findings.append(
            Finding(
                item=items.get(code), severity=finding["severity"], note=finding.get("note", "")
            )
        )
    covered = {finding.get("item") for finding in given}
    for answer in answers:
        if answer.passed is False and answer.item.code not in covered:
            findings.append(
                Finding(
                    item=answer.item,
                    severity=answer.item.failure_severity,
                    note=answer.note
                    or _("Failed: %(question)s") % {"question": answer.item.question},
                    from_answer=True,
                )
            )
    with_photo = {ref.get("item") for ref in photos} | {
        finding.get("item") for finding in given if finding.get("photos")
    }
    for answer in answers:
        if (
            answer.passed is False
            and answer.item.photo_required
            and answer.item.code not in with_photo
        ):
            errors.setdefault("photos", []).append(
                _("%(code)s failed and needs a photo as evidence: add one with item %(code)s.")
                % {"code": answer.item.code}
            )
    if errors:
        raise ValidationError(errors)
    return findings


def _check_times(started, ended) -> None:
    if ended < started:
        raise ValidationError({"ended_at": [_("The visit ends before it starts.")]})
    if ended > timezone.now() + CLOCK_SKEW:
        raise ValidationError(
            {"ended_at": [_("This lies in the future; check the phone's clock.")]}
        )


@transaction.atomic
def submit_inspection(
    *,
    actor: User,
    inspection: Inspection,
    data: dict,
    content_sha256: str,
    payload: dict,
    precondition: Callable[[Inspection], None] | None = None,
) -> SubmissionResult:
    """Store everything the inspector recorded, derive findings, violations and occupancy.

    `precondition` (e.g. an If-Match check) runs on the locked inspection, after a replay was
    recognised: a replay answers with what was stored even though the inspection changed since.
    """
    inspection = (
        Inspection.objects.select_for_update()
        .select_related("location__municipality", "template")
        .get(pk=inspection.pk)
    )
    existing = Submission.objects.filter(pk=data["id"]).first()
    if existing:
        return _replay_or_conflict(existing, inspection, content_sha256)
    if precondition is not None:
        precondition(inspection)
    other = Submission.objects.filter(inspection=inspection).first()
    if other:
        raise Conflict(
            _("Inspection %(id)s was submitted already, as submission %(other)s.")
            % {"id": inspection.pk, "other": other.pk},
            submission=str(other.pk),
        )
    _check_state(actor, inspection)
    _check_times(data["started_at"], data["ended_at"])
    items = {item.code: item for item in inspection.template.items.all()}
    answers = _answers(inspection, data.get("answers", []), data["observed"])
    _check_photos(inspection, data.get("photos", []), items)
    findings = _findings(
        inspection, data.get("findings", []), answers, items, data.get("photos", [])
    )

    location = inspection.location
    arrival = data.get("arrival") or {}
    point = arrival.get("point")
    distance = round(distance_m(point, location.point)) if point else None
    try:
        with transaction.atomic():
            submission = Submission.objects.create(
                id=data["id"],
                inspection=inspection,
                content_sha256=content_sha256,
                payload=payload,
                started_at=data["started_at"],
                ended_at=data["ended_at"],
                arrival_point=point,
                arrival_accuracy_m=arrival.get("accuracy_m"),
                arrival_distance_m=distance,
                arrival_far=distance is not None and distance > settings.FIELD_MAX_DISTANCE_M,
                observed_persons=data["observed"]["persons"],
                observed_beds_in_use=data["observed"]["beds_in_use"],
                observed_bedrooms_in_use=data["observed"]["bedrooms_in_use"],
                submitted_by=actor,
            )
    except IntegrityError as exc:  # the same id, at the same moment, for another inspection
        raise Conflict(
            _("Submission %(id)s was received at the same moment; retry.") % {"id": data["id"]}
        ) from exc

    for answer in answers:
        answer.inspection = inspection
    Answer.objects.bulk_create(answers)
    for finding in findings:
        finding.inspection = inspection
        finding.save()
    _photo_references(submission, data, findings, items)
    violations = _violations(findings, location, data["ended_at"])
    OccupancyObservation.objects.create(
        location=location,
        inspection=inspection,
        observed_on=timezone.localtime(data["ended_at"]).date(),
        persons=data["observed"]["persons"],
        beds_in_use=data["observed"]["beds_in_use"],
        bedrooms_in_use=data["observed"]["bedrooms_in_use"],
        observed_by=actor,
    )
    inspection.status = InspectionStatus.SUBMITTED
    inspection.save(update_fields=["status", "updated_at"])
    reinspection = _propose_reinspection(inspection, violations)
    record_event(
        actor=actor,
        action="create",
        target=submission,
        municipality_code=location.municipality.code,
        detail=f"inspection {inspection.pk}: {len(findings)} finding(s), {len(violations)} violation(s)",
    )
    return SubmissionResult(submission, True, missing_photos(submission), reinspection)


def _photo_references(
    submission: Submission, data: dict, findings: list[Finding], items: dict
) -> None:
    finding_of_photo = {}
    for finding, given in zip(findings, data.get("findings", []), strict=False):
        for photo_id in given.get("photos", []):
            finding_of_photo[photo_id] = finding
    PhotoReference.objects.bulk_create(
        PhotoReference(
            submission=submission,
            photo_id=ref["id"],
            sha256=ref["sha256"],
            item=items.get(ref.get("item")),
            finding=finding_of_photo.get(ref["id"]),
        )
        for ref in data.get("photos", [])
    )


def _violations(findings: list[Finding], location, ended_at) -> list[Violation]:
    day = timezone.localtime(ended_at).date()
    return Violation.objects.bulk_create(
        Violation(
            finding=finding,
            location=location,
            severity=finding.severity,
            deadline=day + timedelta(days=settings.VIOLATION_DEADLINE_DAYS[finding.severity]),
        )
        for finding in findings
    )


def _propose_reinspection(inspection: Inspection, violations: list[Violation]) -> Inspection | None:
    """Violations call for a re-inspection (hercontrole) at their first deadline, to be planned."""
    if not violations:
        return None
    return plan_inspection(
        actor=None,
        location=inspection.location,
        kind=InspectionKind.REINSPECTION,
        planned_date=min(v.deadline for v in violations),
        reason=_("Re-inspection of the violations found in inspection %(id)s.")
        % {"id": inspection.pk},
        template=current_template(),
        follows=inspection,
    )
