"""Risk scores of housing locations and organisations: a pure, explainable core.

score_location() and score_organisation() are pure functions of a frozen set of facts and the
weights: the same facts, weights and `as_of` give the same score, on any machine. Each factor
turns one fact into a value between 0 and 1 (the formulas are in the README, "Risk scores"),
its points are weight * value, and the score is the sum of the points. Every figure is rounded
at a fixed step (values to 0.001, points to 0.01, the score to 0.1, half up), so the score can
be recomputed by hand from the factors the API returns.

The facts are about housing and the organisations behind it, never about the people who live
there: no nationality, origin or other protected attribute is an input (a test holds the
dataclasses below to exactly these fields). The facts are read in bulk by
inspections.selectors.risk; this module also holds the one write: a municipality's weights.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from backend.api.problems import Conflict
from backend.audit.services import record_event
from inspections.models import RiskFactor, RiskWeight, Severity
from inspections.services.norms import SOURCE_LABELS

F = RiskFactor

# The factors of a location, and those of an organisation (which span municipalities).
LOCATION_FACTORS: tuple[str, ...] = tuple(
    factor.value
    for factor in (
        F.OVERCROWDING_DECLARED,
        F.OVERCROWDING_REGISTERED,
        F.OVERCROWDING_OBSERVED,
        F.OPEN_VIOLATIONS,
        F.OVERDUE_VIOLATIONS,
        F.CERTIFICATE_MISSING,
        F.CERTIFICATE_EXPIRED,
        F.LANDLORD_PERMIT,
        F.OPERATOR_NOT_ADMITTED,
        F.REFUSED_ACCESS,
        F.TIME_SINCE_INSPECTION,
        F.FOUND_UNREGISTERED,
        F.LANDLORD_PORTFOLIO,
        F.OPERATOR_PORTFOLIO,
    )
)
ORGANISATION_FACTORS: tuple[str, ...] = tuple(
    factor.value
    for factor in (
        F.ORG_REPEAT_VIOLATIONS,
        F.ORG_OVERCROWDED_SHARE,
        F.ORG_REFUSED_ACCESS,
        F.ORG_FOUND_UNREGISTERED,
    )
)
ALL_FACTORS = (*LOCATION_FACTORS, *ORGANISATION_FACTORS)
FACTOR_ORDER = {factor: index for index, factor in enumerate(ALL_FACTORS)}

MAX_WEIGHT = Decimal(100)

# How much an open violation counts, by severity.
SEVERITY_WEIGHTS = {
    Severity.CRITICAL: Decimal(1),
    Severity.MAJOR: Decimal("0.5"),
    Severity.MINOR: Decimal("0.2"),
}
SEVERITIES = (Severity.CRITICAL, Severity.MAJOR, Severity.MINOR)

# The constants of the value functions (documented in the README table).
OVERCROWDING_FULL_EXCESS = Decimal("0.5")  # 50% over capacity gives the full value
OPEN_VIOLATIONS_FULL = Decimal(2)  # weighted open violations for the full value
OVERDUE_FULL = Decimal(2)
REFUSED_ACCESS_FULL = Decimal(2)
REFUSED_ACCESS_DAYS = 365
INSPECTION_FULL_DAYS = Decimal(730)
ORG_WINDOW_DAYS = 730
ORG_VIOLATIONS_PER_LOCATION_FULL = Decimal(2)  # weighted violations per location in 2 years
ORG_REFUSED_ACCESS_FULL = Decimal(3)
ORG_FOUND_UNREGISTERED_FULL = Decimal(2)

VALUE_STEP = Decimal("0.001")
POINTS_STEP = Decimal("0.01")
SCORE_STEP = Decimal("0.1")
ZERO, ONE = Decimal(0), Decimal(1)


def _by_severity(counts: Mapping[str, int] | None) -> dict[str, int]:
    counts = counts or {}
    unknown = set(counts) - set(SEVERITIES)
    if unknown:
        raise ValueError(f"Unknown severities {sorted(unknown)}; use {list(SEVERITIES)}.")
    return {severity: int(counts.get(severity, 0)) for severity in SEVERITIES}


@dataclass(frozen=True)
class LocationRiskInputs:
    """Every fact a location's score is computed from; nothing else enters it.

    Occupancy figures are None when unknown; `landlord_permit_valid` is None when the location
    has no permit number (no permit duty); the scores are the organisations' (0..100), None when
    there is no such organisation.
    """

    capacity: int
    declared_persons: int | None
    registered_persons: int | None
    observed_persons: int | None
    open_violations_by_severity: Mapping[str, int]
    oldest_open_violation_days: int | None
    overdue_violations: int
    has_valid_certificate: bool
    had_certificate: bool  # an SNF or AKF certificate that has expired
    landlord_permit_valid: bool | None
    operator_not_admitted: bool
    refused_access_count: int
    days_since_last_inspection: int | None
    found_unregistered: bool
    landlord_score: Decimal | None
    operator_score: Decimal | None

    def __post_init__(self):
        object.__setattr__(
            self, "open_violations_by_severity", _by_severity(self.open_violations_by_severity)
        )


@dataclass(frozen=True)
class OrganisationRiskInputs:
    """Every fact an organisation's score is computed from, over all its locations (any role)."""

    violations_by_severity: Mapping[str, int]  # found in the last 730 days
    locations: int
    overcrowded_locations: int
    refused_access_count: int  # visits without access in the last 730 days
    found_unregistered_locations: int

    def __post_init__(self):
        object.__setattr__(
            self, "violations_by_severity", _by_severity(self.violations_by_severity)
        )


def input_names(inputs_class) -> list[str]:
    return [f.name for f in fields(inputs_class)]


@dataclass(frozen=True)
class FactorScore:
    factor: str
    label: str
    weight: Decimal
    value: Decimal
    points: Decimal
    explanation: str


@dataclass(frozen=True)
class RiskScore:
    score: Decimal
    max_score: Decimal  # the sum of the weights: every factor at its full value
    as_of: date
    factors: tuple[FactorScore, ...]  # by points, highest first
    inputs: LocationRiskInputs | OrganisationRiskInputs
    weights: Mapping[str, Decimal] = field(default_factory=dict)

    def top_factors(self, count: int = 3) -> list[FactorScore]:
        """The factors that add most, leaving out those that add nothing."""
        return [f for f in self.factors if f.points > 0][:count]


# ---------------------------------------------------------------------------------------------
# Value functions: each a fact -> (value in [0, 1], one line saying why). The line is translated
# when it is shown, not when the score is computed: the planner scores thousands at a time.


def _say_now(message: str, values: dict) -> str:
    return gettext(message) % values if values else gettext(message)


_lazy_say = lazy(_say_now, str)


def _say(message: str, values: dict | None = None) -> str:
    """An explanation (message marked with gettext_noop), translated when it is rendered."""
    return _lazy_say(message, values or {})


LANDLORD, OPERATOR = gettext_lazy("landlord"), gettext_lazy("operator or provider")
FACTOR_LABELS = dict(RiskFactor.choices)


def _clamp(value: Decimal) -> Decimal:
    return min(ONE, max(ZERO, value)).quantize(VALUE_STEP, rounding=ROUND_HALF_UP)


def _n(value: Decimal) -> str:
    """A Decimal as people write it: 0.5, 2, 0.041."""
    return f"{value.normalize():f}"


def _overcrowding(source: str, persons: int | None, capacity: int) -> tuple[Decimal, str]:
    values = {"persons": persons, "source": SOURCE_LABELS[source], "capacity": capacity}
    if persons is None:
        return ZERO, _say(gettext_noop("No %(source)s occupancy known."), values)
    if capacity == 0:
        if persons == 0:
            return ZERO, _say(gettext_noop("0 %(source)s and capacity 0."), values)
        return ONE, _say(
            gettext_noop("%(persons)d %(source)s, but the norm allows nobody (capacity 0)."), values
        )
    ratio = Decimal(persons) / Decimal(capacity)
    value = _clamp((ratio - 1) / OVERCROWDING_FULL_EXCESS)
    values["ratio"] = ratio.quantize(VALUE_STEP, rounding=ROUND_HALF_UP)
    if persons <= capacity:
        return value, _say(
            gettext_noop("%(persons)d %(source)s ÷ capacity %(capacity)d = %(ratio)s: within."),
            values,
        )
    values.update(value=_n(value), full=_n(OVERCROWDING_FULL_EXCESS * 100))
    return value, _say(
        gettext_noop(
            "%(persons)d %(source)s ÷ capacity %(capacity)d = %(ratio)s; (ratio − 1) ÷ 0.5 = "
            "%(value)s (full at %(full)s%% over capacity)."
        ),
        values,
    )


def _weighted(counts: Mapping[str, int]) -> Decimal:
    return sum((SEVERITY_WEIGHTS[s] * counts[s] for s in SEVERITIES), ZERO)


def _severity_terms(counts: Mapping[str, int]) -> str:
    return " + ".join(f"{counts[s]}×{_n(SEVERITY_WEIGHTS[s])}" for s in SEVERITIES)


def _open_violations(inputs: LocationRiskInputs) -> tuple[Decimal, str]:
    counts = inputs.open_violations_by_severity
    if not any(counts.values()):
        return ZERO, _say(gettext_noop("No open violations."))
    value = _clamp(_weighted(counts) / OPEN_VIOLATIONS_FULL)
    return value, _say(
        gettext_noop(
            "%(critical)d critical, %(major)d major, %(minor)d minor open (oldest %(days)s "
            "days): (%(terms)s) ÷ 2 = %(value)s."
        ),
        {
            **counts,
            "days": inputs.oldest_open_violation_days,
            "terms": _severity_terms(counts),
            "value": _n(value),
        },
    )


def _overdue(inputs: LocationRiskInputs) -> tuple[Decimal, str]:
    count = inputs.overdue_violations
    if not count:
        return ZERO, _say(gettext_noop("No open violation is past its deadline."))
    value = _clamp(Decimal(count) / OVERDUE_FULL)
    return value, _say(
        gettext_noop("%(count)d open violation(s) past the deadline: %(count)d ÷ 2 = %(value)s."),
        {"count": count, "value": _n(value)},
    )


def _certificate_missing(inputs: LocationRiskInputs) -> tuple[Decimal, str]:
    if inputs.has_valid_certificate:
        return ZERO, _say(gettext_noop("A valid SNF or AKF certificate."))
    if inputs.had_certificate:
        return ZERO, _say(
            gettext_noop("It had a certificate, which expired (see certificate_expired).")
        )
    return ONE, _say(gettext_noop("Never had a valid SNF or AKF certificate."))


def _certificate_expired(inputs: LocationRiskInputs) -> tuple[Decimal, str]:
    if inputs.has_valid_certificate:
        return ZERO, _say(gettext_noop("A valid SNF or AKF certificate."))
    if inputs.had_certificate:
        return ONE, _say(gettext_noop("Its SNF or AKF certificate expired and none is valid now."))
    return ZERO, _say(
        gettext_noop("No certificate that could have expired (see certificate_missing).")
    )


def _landlord_permit(inputs: LocationRiskInputs, as_of: date) -> tuple[Decimal, str]:
    if inputs.landlord_permit_valid is None:
        return ZERO, _say(gettext_noop("No landlord permit number: no permit duty assumed."))
    values = {"date": as_of.isoformat()}
    if inputs.landlord_permit_valid:
        return ZERO, _say(gettext_noop("The landlord permit is valid on %(date)s."), values)
    return ONE, _say(
        gettext_noop("It has a landlord permit number, but the permit is not valid on %(date)s."),
        values,
    )


def _operator_not_admitted(inputs: LocationRiskInputs) -> tuple[Decimal, str]:
    if inputs.operator_not_admitted:
        return ONE, _say(
            gettext_noop(
                "The operator (or else the provider, a temp agency) has neither a valid Wtta "
                "admission nor a valid SNA certificate."
            )
        )
    return ZERO, _say(
        gettext_noop("No operator or agency without Wtta admission or SNA certificate runs it.")
    )


def _refused_access(inputs: LocationRiskInputs) -> tuple[Decimal, str]:
    count = inputs.refused_access_count
    if not count:
        return ZERO, _say(gettext_noop("No visit without access in the last 365 days."))
    value = _clamp(Decimal(count) / REFUSED_ACCESS_FULL)
    return value, _say(
        gettext_noop(
            "%(count)d visit(s) without access in the last 365 days: %(count)d ÷ 2 = %(value)s."
        ),
        {"count": count, "value": _n(value)},
    )


def _time_since_inspection(inputs: LocationRiskInputs) -> tuple[Decimal, str]:
    days = inputs.days_since_last_inspection
    if days is None:
        return ONE, _say(gettext_noop("Never inspected."))
    value = _clamp(Decimal(days) / INSPECTION_FULL_DAYS)
    return value, _say(
        gettext_noop("Last inspected %(days)d days ago: %(days)d ÷ 730 = %(value)s."),
        {"days": days, "value": _n(value)},
    )


def _found_unregistered(inputs: LocationRiskInputs) -> tuple[Decimal, str]:
    if inputs.found_unregistered:
        return ONE, _say(
            gettext_noop("The municipality found people housed here before anybody registered it.")
        )
    return ZERO, _say(gettext_noop("Not found unregistered."))


def _portfolio(score: Decimal | None, whose) -> tuple[Decimal, str]:
    if score is None:
        return ZERO, _say(gettext_noop("No %(whose)s."), {"whose": whose})
    value = _clamp(Decimal(score) / 100)
    return value, _say(
        gettext_noop("The %(whose)s's organisation score is %(score)s of 100: %(value)s."),
        {"whose": whose, "score": _n(Decimal(score)), "value": _n(value)},
    )


def _location_values(inputs: LocationRiskInputs, as_of: date) -> dict[str, tuple[Decimal, str]]:
    return {
        F.OVERCROWDING_DECLARED: _overcrowding(
            "declared", inputs.declared_persons, inputs.capacity
        ),
        F.OVERCROWDING_REGISTERED: _overcrowding(
            "registered", inputs.registered_persons, inputs.capacity
        ),
        F.OVERCROWDING_OBSERVED: _overcrowding(
            "observed", inputs.observed_persons, inputs.capacity
        ),
        F.OPEN_VIOLATIONS: _open_violations(inputs),
        F.OVERDUE_VIOLATIONS: _overdue(inputs),
        F.CERTIFICATE_MISSING: _certificate_missing(inputs),
        F.CERTIFICATE_EXPIRED: _certificate_expired(inputs),
        F.LANDLORD_PERMIT: _landlord_permit(inputs, as_of),
        F.OPERATOR_NOT_ADMITTED: _operator_not_admitted(inputs),
        F.REFUSED_ACCESS: _refused_access(inputs),
        F.TIME_SINCE_INSPECTION: _time_since_inspection(inputs),
        F.FOUND_UNREGISTERED: _found_unregistered(inputs),
        F.LANDLORD_PORTFOLIO: _portfolio(inputs.landlord_score, LANDLORD),
        F.OPERATOR_PORTFOLIO: _portfolio(inputs.operator_score, OPERATOR),
    }


def _organisation_values(inputs: OrganisationRiskInputs) -> dict[str, tuple[Decimal, str]]:
    counts = inputs.violations_by_severity
    locations = inputs.locations
    if any(counts.values()):
        per = ORG_VIOLATIONS_PER_LOCATION_FULL * max(1, locations)
        repeat = _clamp(_weighted(counts) / per)
        repeat_text = _say(
            gettext_noop(
                "%(critical)d critical, %(major)d major, %(minor)d minor violation(s) in 2 "
                "years at %(locations)d location(s): (%(terms)s) ÷ (2 × %(divisor)d) = "
                "%(value)s."
            ),
            {
                **counts,
                "locations": locations,
                "divisor": max(1, locations),
                "terms": _severity_terms(counts),
                "value": _n(repeat),
            },
        )
    else:
        repeat, repeat_text = ZERO, _say(gettext_noop("No violations at its locations in 2 years."))

    if locations:
        share = _clamp(Decimal(inputs.overcrowded_locations) / locations)
        share_text = _say(
            gettext_noop("%(n)d of %(locations)d location(s) overcrowded: %(value)s."),
            {"n": inputs.overcrowded_locations, "locations": locations, "value": _n(share)},
        )
    else:
        share, share_text = ZERO, _say(gettext_noop("No locations."))

    refused = _clamp(Decimal(inputs.refused_access_count) / ORG_REFUSED_ACCESS_FULL)
    refused_text = _say(
        gettext_noop(
            "%(count)d visit(s) without access at its locations in 2 years: %(count)d ÷ 3 = "
            "%(value)s."
        ),
        {"count": inputs.refused_access_count, "value": _n(refused)},
    )
    found = _clamp(Decimal(inputs.found_unregistered_locations) / ORG_FOUND_UNREGISTERED_FULL)
    found_text = _say(
        gettext_noop("%(count)d of its location(s) found unregistered: %(count)d ÷ 2 = %(value)s."),
        {"count": inputs.found_unregistered_locations, "value": _n(found)},
    )
    return {
        F.ORG_REPEAT_VIOLATIONS: (repeat, repeat_text),
        F.ORG_OVERCROWDED_SHARE: (share, share_text),
        F.ORG_REFUSED_ACCESS: (refused, refused_text),
        F.ORG_FOUND_UNREGISTERED: (found, found_text),
    }


def _score(
    values: dict[str, tuple[Decimal, str]],
    weights: Mapping[str, Decimal],
    *,
    as_of: date,
    inputs,
) -> RiskScore:
    used = {str(factor): Decimal(weights.get(factor, ZERO)) for factor in values}
    factors = []
    for factor, (value, explanation) in values.items():
        weight, factor = used[factor], str(factor)
        points = (weight * value).quantize(POINTS_STEP, rounding=ROUND_HALF_UP)
        factors.append(
            FactorScore(factor, FACTOR_LABELS[factor], weight, value, points, explanation)
        )
    factors.sort(key=lambda f: (-f.points, FACTOR_ORDER[f.factor]))
    total = sum((f.points for f in factors), ZERO).quantize(SCORE_STEP, rounding=ROUND_HALF_UP)
    return RiskScore(
        score=total,
        max_score=sum(used.values(), ZERO),
        as_of=as_of,
        factors=tuple(factors),
        inputs=inputs,
        weights=used,
    )


def score_location(
    inputs: LocationRiskInputs, weights: Mapping[str, Decimal], *, as_of: date
) -> RiskScore:
    """A location's score: the sum of weight * value over its factors, each explained."""
    return _score(_location_values(inputs, as_of), weights, as_of=as_of, inputs=inputs)


def score_organisation(
    inputs: OrganisationRiskInputs, weights: Mapping[str, Decimal], *, as_of: date
) -> RiskScore:
    """An organisation's score over all its locations (national weights)."""
    return _score(_organisation_values(inputs), weights, as_of=as_of, inputs=inputs)


# ---------------------------------------------------------------------------------------------
# The one write: a municipality's own weights.


@transaction.atomic
def set_risk_weights(
    *, actor, municipality_code: str, weights: Mapping[str, Decimal | None]
) -> dict[str, Decimal]:
    """Set (a number) or drop (None: the national weight applies again) a municipality's weight
    per factor; factors not named keep what they have. Returns the municipality's own weights.

    Validation (known factors, 0 ≤ weight ≤ 100) is the caller's serializer's; the database
    refuses negative weights too. The change is audited as one event.
    """
    if not municipality_code:
        raise ValueError("The national weights are set in the back office, not here.")
    unknown = set(weights) - set(ALL_FACTORS)
    if unknown:
        raise ValueError(f"Unknown risk factors: {sorted(unknown)}")
    rows = {
        row.factor: row
        for row in RiskWeight.objects.select_for_update().filter(
            municipality_code=municipality_code, factor__in=list(weights)
        )
    }
    changes = {}
    for factor, weight in weights.items():
        row = rows.get(factor)
        old = row.weight if row else None
        if weight is None:
            if row:
                row.delete()
                changes[factor] = [old, None]
            continue
        weight = Decimal(weight)
        if row is None:
            try:
                with transaction.atomic():
                    RiskWeight.objects.create(
                        municipality_code=municipality_code, factor=factor, weight=weight
                    )
            except IntegrityError as exc:  # another administrator set it at the same moment
                raise Conflict(
                    gettext(
                        "The weights of %(code)s were changed at the same moment; read and retry."
                    )
                    % {"code": municipality_code}
                ) from exc
            changes[factor] = [None, weight]
        elif row.weight != weight:
            row.weight = weight
            row.save(update_fields=["weight", "updated_at"])
            changes[factor] = [old, weight]
    if changes:
        record_event(
            actor=actor,
            action="update",
            target_type="inspections.riskweight",
            target_id=municipality_code,
            target_repr=f"risk weights {municipality_code}",
            municipality_code=municipality_code,
            changes=changes,
        )
    return dict(
        RiskWeight.objects.filter(municipality_code=municipality_code).values_list(
            "factor", "weight"
        )
    )
