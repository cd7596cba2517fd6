"""Reads for risk scores: the facts of many locations and organisations, in a few queries.

Every function here reads in bulk: the number of queries does not grow with the number of
locations or organisations (each fact is one aggregate query over a subquery of the locations),
and the scoring itself is the pure core in inspections.services.risk.

Facts are taken as they stood on `as_of` where the data keeps their history: occupancy (the
declaration valid that day, the latest registration and observation up to it), violations
(found by then and not yet resolved), inspections, certificates, admissions and the landlord
permit (by their validity dates). Capacity, the parties and the found-unregistered flag keep no
history: those are today's.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from inspections.models import (
    Credential,
    HousingLocation,
    Inspection,
    InspectionStatus,
    OccupancyDeclaration,
    OccupancyObservation,
    Organisation,
    RegisteredOccupancy,
    RiskWeight,
    Violation,
    ViolationStatus,
)
from inspections.models.credentials import LOCATION_CREDENTIALS, ORGANISATION_CREDENTIALS
from inspections.services.risk import (
    ALL_FACTORS,
    ORG_WINDOW_DAYS,
    REFUSED_ACCESS_DAYS,
    SEVERITIES,
    LocationRiskInputs,
    OrganisationRiskInputs,
    RiskScore,
    score_location,
    score_organisation,
)

from .housing import municipality_ids, staff_municipalities
from .organisations import organisations_visible_to

# Inspections that were carried out (a submission exists and counts as the visit).
DONE_STATUSES = (InspectionStatus.SUBMITTED, InspectionStatus.REVIEWED, InspectionStatus.CLOSED)
ROLES = ("provider", "landlord", "operator", "employer")
NETWORK_MAX_NODES = 200
NETWORK_MAX_DEPTH = 3
MAX_LISTED_IDS = 2000
# Sorts the driving locations: critical violations first, then major, then minor.
SEVERITY_ORDER = {"critical": 100, "major": 10, "minor": 1}


# ---------------------------------------------------------------------------------------------
# Weights


def weights_by_municipality(codes) -> dict[str, dict[str, Decimal]]:
    """Per municipality code: the national weights overlaid with the municipality's own ('' =
    national only). One query for any number of municipalities."""
    codes = set(codes)
    rows = RiskWeight.objects.filter(municipality_code__in={"", *codes}).values_list(
        "municipality_code", "factor", "weight"
    )
    national = dict.fromkeys(ALL_FACTORS, Decimal(0))
    own: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for code, factor, weight in rows:
        if code:
            own[code][factor] = weight
        else:
            national[factor] = weight
    return {code: {**national, **own.get(code, {})} for code in codes | {""}}


def weights_for(municipality_code: str = "") -> dict[str, Decimal]:
    """The weights that apply in a municipality: national defaults, overridden per factor by the
    municipality's own rows. '' gives the national weights (used for organisations)."""
    return weights_by_municipality([municipality_code])[municipality_code]


def own_weights(municipality_code: str) -> dict[str, Decimal]:
    """Only the weights a municipality set itself."""
    return dict(
        RiskWeight.objects.filter(municipality_code=municipality_code).values_list(
            "factor", "weight"
        )
    )


# ---------------------------------------------------------------------------------------------
# Facts as of a day


def _end_of(day: date) -> datetime:
    """The first moment after `day` (Europe/Amsterdam): things before it happened by `day`."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _occupancy_on(queryset: QuerySet[HousingLocation], as_of: date) -> QuerySet:
    """As selectors.housing.with_occupancy, but as the figures stood on `as_of`."""
    declared = OccupancyDeclaration.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=as_of),
        location=OuterRef("pk"),
        valid_from__lte=as_of,
    ).order_by("-valid_from")
    registered = RegisteredOccupancy.objects.filter(
        location=OuterRef("pk"), reference_date__lte=as_of
    ).order_by("-reference_date")
    observed = OccupancyObservation.objects.filter(
        location=OuterRef("pk"), observed_on__lte=as_of
    ).order_by("-observed_on", "-id")
    return queryset.annotate(
        risk_declared=Subquery(declared.values("persons")[:1]),
        risk_registered=Subquery(registered.values("persons")[:1]),
        risk_observed=Subquery(observed.values("persons")[:1]),
    )


def _found_at():
    """When a violation was found: the end of its inspection's visit (else when it was stored)."""
    return Coalesce("finding__inspection__submission__ended_at", "created_at")


def _open_on(as_of: date) -> Q:
    end = _end_of(as_of)
    return Q(found_at__lt=end) & (
        Q(status=ViolationStatus.OPEN) | Q(status=ViolationStatus.RESOLVED, resolved_at__gte=end)
    )


def _refused(first_day: date, last_day: date) -> Q:
    """Visits without access on a day in [first_day, last_day] (the visit's planned day).

    A no-access visit that staff closed afterwards still counts: it is the only way a visit
    without a submission becomes closed.
    """
    return (
        Q(status=InspectionStatus.NO_ACCESS)
        | Q(status=InspectionStatus.CLOSED, submission__isnull=True)
    ) & Q(planned_date__gte=first_day, planned_date__lte=last_day)


def _overcrowded(capacity: int, *persons: int | None) -> bool:
    return any(p is not None and p > capacity for p in persons)


def _ids(queryset: QuerySet) -> QuerySet:
    return queryset.order_by().values("pk")


# ---------------------------------------------------------------------------------------------
# Organisations


@dataclass
class LocationFacts:
    """What one location adds to the scores of the organisations linked to it."""

    location_id: int
    municipality_id: int
    violations: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SEVERITIES, 0))
    overcrowded: bool = False
    refused_access: int = 0
    found_unregistered: bool = False

    @property
    def signals(self) -> bool:
        return bool(
            any(self.violations.values())
            or self.overcrowded
            or self.refused_access
            or self.found_unregistered
        )


@dataclass
class Portfolio:
    """The locations of some organisations, by role, and the facts of each location."""

    organisation_ids: list[int]
    roles: dict[int, dict[int, set[str]]]  # organisation -> location -> roles it plays there
    facts: dict[int, LocationFacts]

    def inputs(self, organisation_id: int) -> OrganisationRiskInputs:
        locations = [self.facts[pk] for pk in self.roles.get(organisation_id, {})]
        return OrganisationRiskInputs(
            violations_by_severity={s: sum(f.violations[s] for f in locations) for s in SEVERITIES},
            locations=len(locations),
            overcrowded_locations=sum(f.overcrowded for f in locations),
            refused_access_count=sum(f.refused_access for f in locations),
            found_unregistered_locations=sum(f.found_unregistered for f in locations),
        )


def _portfolio(organisations: QuerySet[Organisation], *, as_of: date) -> Portfolio:
    """Five queries, whatever the number of organisations and locations."""
    wanted = list(organisations.order_by("pk").values_list("pk", flat=True))
    wanted_set = set(wanted)
    # Usually a few hundred organisations: as a plain list the database plans the queries below
    # far better than as a nested subquery; beyond that, the subquery keeps the query size fixed.
    ids = wanted if len(wanted) <= MAX_LISTED_IDS else _ids(organisations)
    employed = HousingLocation.employers.through.objects.filter(organisation_id__in=ids)
    locations = HousingLocation.objects.filter(
        Q(provider_id__in=ids)
        | Q(landlord_id__in=ids)
        | Q(operator_id__in=ids)
        | Q(pk__in=employed.values("housinglocation_id"))
    )
    roles: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    facts: dict[int, LocationFacts] = {}
    rows = _occupancy_on(locations, as_of).values_list(
        "pk",
        "municipality_id",
        "provider_id",
        "landlord_id",
        "operator_id",
        "capacity",
        "found_unregistered",
        "risk_declared",
        "risk_registered",
        "risk_observed",
    )
    for pk, municipality, provider, landlord, operator, capacity, found, *persons in rows:
        parties = (provider, landlord, operator)
        facts[pk] = LocationFacts(
            pk, municipality, overcrowded=_overcrowded(capacity, *persons), found_unregistered=found
        )
        for role, organisation in zip(ROLES, parties, strict=False):
            if organisation in wanted_set:
                roles[organisation][pk].add(role)
    for pk, organisation in employed.values_list("housinglocation_id", "organisation_id"):
        roles[organisation][pk].add("employer")

    window_start = as_of - timedelta(days=ORG_WINDOW_DAYS)
    violations = (
        Violation.objects.filter(location__in=_ids(locations))
        .annotate(found_at=_found_at())
        .filter(found_at__gte=_end_of(window_start), found_at__lt=_end_of(as_of))
        .values_list("location_id", "severity")
        .annotate(n=Count("id"))
        .order_by()
    )
    for pk, severity, n in violations:
        facts[pk].violations[severity] += n
    refused = (
        Inspection.objects.filter(_refused(window_start, as_of), location__in=_ids(locations))
        .values_list("location_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for pk, n in refused:
        facts[pk].refused_access = n
    return Portfolio(organisation_ids=wanted, roles=roles, facts=facts)


def organisation_risks(
    organisations: QuerySet[Organisation], *, as_of: date, weights=None
) -> dict[int, RiskScore]:
    """The score of each organisation, over all its locations in every municipality and role,
    with the national weights: about six queries for any number of organisations."""
    weights = weights if weights is not None else weights_for("")
    portfolio = _portfolio(organisations, as_of=as_of)
    return {
        pk: score_organisation(portfolio.inputs(pk), weights, as_of=as_of)
        for pk in portfolio.organisation_ids
    }


@dataclass(frozen=True)
class OrganisationRisk:
    organisation: Organisation
    risk: RiskScore
    locations: list[dict]  # the driving locations the caller may see, with their facts
    findings: list[Violation]  # violations of the last two years at those locations
    locations_total: int
    locations_elsewhere: int  # its locations outside the caller's municipalities


def organisation_risk(organisation: Organisation, *, user, as_of: date) -> OrganisationRisk:
    """An organisation's score and what drives it: its locations with signals in the caller's
    municipalities in detail, how many of its locations lie elsewhere as a number only."""
    single = Organisation.objects.filter(pk=organisation.pk)
    portfolio = _portfolio(single, as_of=as_of)
    risk = score_organisation(portfolio.inputs(organisation.pk), weights_for(""), as_of=as_of)
    mine = portfolio.roles.get(organisation.pk, {})
    visible = set(municipality_ids(staff_municipalities(user)))
    here = [pk for pk in mine if portfolio.facts[pk].municipality_id in visible]
    driving = [pk for pk in here if portfolio.facts[pk].signals]
    addresses = {
        location.pk: location
        for location in HousingLocation.objects.filter(pk__in=driving).select_related(
            "municipality"
        )
    }
    window_start = as_of - timedelta(days=ORG_WINDOW_DAYS)
    findings = list(
        Violation.objects.filter(location_id__in=driving)
        .annotate(found_at=_found_at())
        .filter(found_at__gte=_end_of(window_start), found_at__lt=_end_of(as_of))
        .select_related("finding__item")
        .order_by("-found_at", "-id")
    )

    def weight(pk):
        facts = portfolio.facts[pk]
        severe = sum(SEVERITY_ORDER[s] * n for s, n in facts.violations.items())
        return (-severe, -facts.overcrowded, -facts.refused_access, -facts.found_unregistered, pk)

    rows = []
    for pk in sorted(driving, key=weight):
        facts, location = portfolio.facts[pk], addresses[pk]
        rows.append(
            {
                "id": pk,
                "address": location.address_line,
                "municipality_code": location.municipality.code,
                "roles": sorted(mine[pk], key=ROLES.index),
                "violations": dict(facts.violations),
                "overcrowded": facts.overcrowded,
                "refused_access": facts.refused_access,
                "found_unregistered": facts.found_unregistered,
            }
        )
    return OrganisationRisk(
        organisation=organisation,
        risk=risk,
        locations=rows,
        findings=findings,
        locations_total=len(mine),
        locations_elsewhere=len(mine) - len(here),
    )


# ---------------------------------------------------------------------------------------------
# Locations


def location_risks(locations: QuerySet[HousingLocation], *, as_of: date) -> dict[int, RiskScore]:
    """The score of each location, in a constant number of queries (about a dozen).

    The landlord's and the operator's (or else the provider's) organisation scores are computed
    once per organisation over all their locations, and enter as portfolio factors.
    """
    base = HousingLocation.objects.filter(pk__in=_ids(locations))
    ids = _ids(base)
    end = _end_of(as_of)
    rows = list(
        _occupancy_on(base, as_of)
        .order_by()
        .values(
            "pk",
            "capacity",
            "provider_id",
            "landlord_id",
            "operator_id",
            "provider__is_temp_agency",
            "landlord_permit_number",
            "landlord_permit_valid_from",
            "landlord_permit_valid_until",
            "found_unregistered",
            "municipality__code",
            "risk_declared",
            "risk_registered",
            "risk_observed",
        )
    )
    if not rows:
        return {}
    weights = weights_by_municipality({row["municipality__code"] for row in rows})

    open_violations: dict[int, dict[str, int]] = defaultdict(dict)
    oldest: dict[int, datetime] = {}
    overdue: dict[int, int] = defaultdict(int)
    for row in (
        Violation.objects.filter(location__in=ids)
        .annotate(found_at=_found_at())
        .filter(_open_on(as_of))
        .values("location_id", "severity")
        .annotate(
            n=Count("id"),
            first=Min("found_at"),
            overdue=Count("id", filter=Q(deadline__lt=as_of)),
        )
        .order_by()
    ):
        pk = row["location_id"]
        open_violations[pk][row["severity"]] = row["n"]
        overdue[pk] += row["overdue"]
        if pk not in oldest or row["first"] < oldest[pk]:
            oldest[pk] = row["first"]

    valid_certificate, expired_certificate = set(), set()
    for pk, valid_until in Credential.objects.filter(
        location__in=ids, kind__in=LOCATION_CREDENTIALS, valid_from__lte=as_of
    ).values_list("location_id", "valid_until"):
        if valid_until is None or valid_until >= as_of:
            valid_certificate.add(pk)
        else:
            expired_certificate.add(pk)

    last_visit, refused = {}, {}
    for pk, last, count in (
        Inspection.objects.filter(location__in=ids)
        .values_list("location_id")
        .annotate(
            last=Max(
                "submission__ended_at",
                filter=Q(status__in=DONE_STATUSES, submission__ended_at__lt=end),
            ),
            refused=Count(
                "id", filter=_refused(as_of - timedelta(days=REFUSED_ACCESS_DAYS), as_of)
            ),
        )
        .order_by()
    ):
        last_visit[pk], refused[pk] = last, count

    # The organisation whose admission counts: the operator, or else a provider that is an agency.
    agencies = Q(organisation__in=base.order_by().values("operator_id")) | Q(
        organisation__in=base.filter(operator__isnull=True, provider__is_temp_agency=True)
        .order_by()
        .values("provider_id")
    )
    admitted = set(
        Credential.objects.filter(
            agencies,
            Q(valid_until__isnull=True) | Q(valid_until__gte=as_of),
            kind__in=ORGANISATION_CREDENTIALS,
            valid_from__lte=as_of,
        ).values_list("organisation_id", flat=True)
    )

    organisations = Organisation.objects.filter(
        Q(pk__in=base.order_by().values("landlord_id"))
        | Q(pk__in=base.order_by().values("operator_id"))
        | Q(pk__in=base.filter(operator__isnull=True).order_by().values("provider_id"))
    )
    org_scores = {
        pk: risk.score
        for pk, risk in organisation_risks(organisations, as_of=as_of, weights=weights[""]).items()
    }

    scores = {}
    for row in rows:
        pk = row["pk"]
        runner = row["operator_id"] or (
            row["provider_id"] if row["provider__is_temp_agency"] else None
        )
        permit_valid = None
        if row["landlord_permit_number"]:
            start, until = row["landlord_permit_valid_from"], row["landlord_permit_valid_until"]
            permit_valid = (start is None or start <= as_of) and (until is None or as_of <= until)
        inputs = LocationRiskInputs(
            capacity=row["capacity"],
            declared_persons=row["risk_declared"],
            registered_persons=row["risk_registered"],
            observed_persons=row["risk_observed"],
            open_violations_by_severity=open_violations.get(pk, {}),
            oldest_open_violation_days=(
                (as_of - timezone.localtime(oldest[pk]).date()).days if pk in oldest else None
            ),
            overdue_violations=overdue.get(pk, 0),
            has_valid_certificate=pk in valid_certificate,
            had_certificate=pk in expired_certificate,
            landlord_permit_valid=permit_valid,
            operator_not_admitted=runner is not None and runner not in admitted,
            refused_access_count=refused.get(pk, 0),
            days_since_last_inspection=(
                (as_of - timezone.localtime(last_visit[pk]).date()).days
                if last_visit.get(pk)
                else None
            ),
            found_unregistered=row["found_unregistered"],
            landlord_score=org_scores.get(row["landlord_id"]),
            operator_score=org_scores.get(row["operator_id"] or row["provider_id"]),
        )
        scores[pk] = score_location(inputs, weights[row["municipality__code"]], as_of=as_of)
    return scores


def location_risk_scores(location_ids, *, as_of: date) -> dict[int, Decimal]:
    """Scores only, for the planner: the same computation as location_risks (a few queries for
    a few thousand locations). Ids of locations that do not exist are left out."""
    risks = location_risks(HousingLocation.objects.filter(pk__in=list(location_ids)), as_of=as_of)
    return {pk: risk.score for pk, risk in risks.items()}


def ranked_location_risks(
    locations: QuerySet[HousingLocation], *, as_of: date, min_score: Decimal | None = None
) -> list[tuple[int, RiskScore]]:
    """(location id, risk) highest score first (ties: lowest id first), at least `min_score`."""
    ranked = sorted(
        location_risks(locations, as_of=as_of).items(), key=lambda i: (-i[1].score, i[0])
    )
    if min_score is not None:
        ranked = [item for item in ranked if item[1].score >= min_score]
    return ranked


# ---------------------------------------------------------------------------------------------
# The network of organisations linked through shared locations


@dataclass(frozen=True)
class Network:
    nodes: list[dict]  # id, name, kvk_number, status, roles, depth, score, visible
    edges: list[dict]  # source, target, location_ids (visible), other_locations (a count)
    depth: int
    truncated: bool
    max_nodes: int


def _links(org_ids: set[int]) -> dict[int, tuple[int, dict[int, set[str]]]]:
    """Every location linked to these organisations: its municipality id and all its parties
    with their roles (two queries)."""
    through = HousingLocation.employers.through
    employed = through.objects.filter(organisation_id__in=org_ids).values("housinglocation_id")
    locations = HousingLocation.objects.filter(
        Q(provider_id__in=org_ids)
        | Q(landlord_id__in=org_ids)
        | Q(operator_id__in=org_ids)
        | Q(pk__in=employed)
    )
    links: dict[int, tuple[int, dict[int, set[str]]]] = {}
    for pk, municipality, *parties in locations.order_by().values_list(
        "pk", "municipality_id", "provider_id", "landlord_id", "operator_id"
    ):
        by_party: dict[int, set[str]] = defaultdict(set)
        for role, organisation in zip(ROLES, parties, strict=False):
            if organisation is not None:
                by_party[organisation].add(role)
        links[pk] = (municipality, by_party)
    for pk, organisation in through.objects.filter(
        housinglocation_id__in=_ids(locations)
    ).values_list("housinglocation_id", "organisation_id"):
        links[pk][1][organisation].add("employer")
    return links


def organisation_network(
    organisation: Organisation,
    *,
    user,
    depth: int = 2,
    as_of: date,
    max_nodes: int = NETWORK_MAX_NODES,
) -> Network:
    """Organisations linked to this one through shared locations (provider, landlord, operator,
    employers of the same location), up to `depth` hops, at most `max_nodes` of them.

    Two queries per hop, one more hop to find the links among the outermost organisations, one
    for their names, and the organisation scores: constant in the size of the network. When the
    cap is hit, the organisations sharing most locations with those found so far are kept.
    """
    depth = max(1, min(NETWORK_MAX_DEPTH, depth))
    found: dict[int, int] = {organisation.pk: 0}
    links: dict[int, tuple[int, dict[int, set[str]]]] = {}
    frontier = {organisation.pk}
    truncated = False
    for hop in range(1, depth + 2):
        new_links = _links(frontier)
        links.update(new_links)
        if hop > depth:
            break
        shared: dict[int, int] = defaultdict(int)
        for _municipality, parties in new_links.values():
            if any(p in found for p in parties):
                for party in parties:
                    if party not in found:
                        shared[party] += 1
        candidates = sorted(shared, key=lambda pk: (-shared[pk], pk))
        room = max_nodes - len(found)
        if len(candidates) > room:
            truncated, candidates = True, candidates[: max(0, room)]
        for pk in candidates:
            found[pk] = hop
        frontier = set(candidates)
        if not frontier:
            break

    visible = set(municipality_ids(staff_municipalities(user)))
    roles: dict[int, set[str]] = defaultdict(set)
    pairs: dict[tuple[int, int], list[int]] = defaultdict(list)
    for pk, (_municipality, parties) in sorted(links.items()):
        members = sorted(p for p in parties if p in found)
        for party in members:
            roles[party] |= parties[party]
        for index, a in enumerate(members):
            for b in members[index + 1 :]:
                pairs[(a, b)].append(pk)
    edges = []
    for (a, b), location_ids in sorted(pairs.items()):
        seen = [pk for pk in location_ids if links[pk][0] in visible]
        edges.append(
            {
                "source": a,
                "target": b,
                "location_ids": seen,
                "other_locations": len(location_ids) - len(seen),
            }
        )
    members = Organisation.objects.filter(pk__in=list(found))
    scores = organisation_risks(members, as_of=as_of)
    may_open = set(
        organisations_visible_to(user).filter(pk__in=list(found)).values_list("pk", flat=True)
    )
    nodes = [
        {
            "id": org.pk,
            "name": org.name,
            "kvk_number": org.kvk_number,
            "status": org.status,
            "roles": sorted(roles[org.pk], key=ROLES.index),
            "depth": found[org.pk],
            "score": scores[org.pk].score,
            "visible": org.pk in may_open,
        }
        for org in sorted(members, key=lambda o: (found[o.pk], o.pk))
    ]
    return Network(nodes=nodes, edges=edges, depth=depth, truncated=truncated, max_nodes=max_nodes)
