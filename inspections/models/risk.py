"""Risk weights: how much each factor counts, per municipality ('' = the national default).

The factors are facts about housing and the organisations behind it, never about the people
living there: no nationality, origin or any other protected attribute exists in this model.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import municipality_code_validator


class RiskFactor(models.TextChoices):
    # Of a location
    OVERCROWDING_DECLARED = "overcrowding_declared", _("Overcrowded by declared occupancy")
    OVERCROWDING_REGISTERED = "overcrowding_registered", _("Overcrowded by registered occupancy")
    OVERCROWDING_OBSERVED = "overcrowding_observed", _("Overcrowded by observed occupancy")
    OPEN_VIOLATIONS = "open_violations", _("Open violations, by severity")
    OVERDUE_VIOLATIONS = "overdue_violations", _("Violations past their deadline")
    CERTIFICATE_MISSING = "certificate_missing", _("No SNF or AKF certificate")
    CERTIFICATE_EXPIRED = "certificate_expired", _("SNF or AKF certificate expired")
    LANDLORD_PERMIT = "landlord_permit", _("Landlord permit missing or not valid")
    OPERATOR_NOT_ADMITTED = (
        "operator_not_admitted",
        _("Agency neither Wtta-admitted nor SNA-certified"),
    )
    REFUSED_ACCESS = "refused_access", _("Access refused at inspections")
    TIME_SINCE_INSPECTION = "time_since_inspection", _("Time since the last inspection")
    FOUND_UNREGISTERED = "found_unregistered", _("Found by the municipality, not registered")
    LANDLORD_PORTFOLIO = "landlord_portfolio", _("Score of the landlord's portfolio")
    OPERATOR_PORTFOLIO = "operator_portfolio", _("Score of the operator's or provider's portfolio")
    # Of an organisation, across all its locations
    ORG_REPEAT_VIOLATIONS = "org_repeat_violations", _("Violations at its locations (2 years)")
    ORG_OVERCROWDED_SHARE = "org_overcrowded_share", _("Share of its locations overcrowded")
    ORG_REFUSED_ACCESS = "org_refused_access", _("Access refused at its locations (2 years)")
    ORG_FOUND_UNREGISTERED = "org_found_unregistered", _("Its locations found unregistered")


class RiskWeight(models.Model):
    municipality_code = models.CharField(
        max_length=6, blank=True, validators=[municipality_code_validator]
    )
    factor = models.CharField(max_length=32, choices=RiskFactor.choices)
    weight = models.DecimalField(max_digits=6, decimal_places=2)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["municipality_code", "factor"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality_code", "factor"], name="unique_risk_weight"
            ),
            models.CheckConstraint(name="risk_weight_not_negative", condition=Q(weight__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.municipality_code or 'NL'} {self.factor}: {self.weight}"
