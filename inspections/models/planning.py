"""Planning: when inspectors work, where their days start, and the plans proposed and published."""

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import municipality_code_validator


class WorkingHours(models.Model):
    """An inspector's regular hours on a weekday (0 = Monday), Europe/Amsterdam."""

    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=[(d, d) for d in range(7)])
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["inspector_id", "weekday"]
        constraints = [
            models.UniqueConstraint(fields=["inspector", "weekday"], name="unique_working_day"),
            models.CheckConstraint(name="working_hours_in_order", condition=Q(end__gt=F("start"))),
        ]


class Absence(models.Model):
    """Days an inspector does not work (leave, training); no reasons beyond a short label."""

    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences"
    )
    first_day = models.DateField()
    last_day = models.DateField()
    label = models.CharField(
        max_length=80, blank=True, help_text=_("e.g. 'leave'; no medical details")
    )

    class Meta:
        ordering = ["inspector_id", "first_day"]
        constraints = [
            models.CheckConstraint(
                name="absence_in_order", condition=Q(last_day__gte=F("first_day"))
            )
        ]


class PlanningBase(models.Model):
    """Where a municipality's inspectors start and end their day, and how fast they travel."""

    municipality_code = models.CharField(
        max_length=6, unique=True, validators=[municipality_code_validator]
    )
    name = models.CharField(max_length=120)
    point = models.PointField(srid=4326)
    speed_kmh = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        default=30,
        help_text=_("Average speed over straight-line distance."),
    )
    detour_factor = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=1.3,
        help_text=_("Road distance ÷ straight-line distance."),
    )
    visit_minutes = models.PositiveSmallIntegerField(default=45)
    periodic_interval_days = models.PositiveSmallIntegerField(
        default=365,
        help_text=_("A location is due for a periodic inspection this long after the last one."),
    )

    class Meta:
        constraints = [
            models.CheckConstraint(name="base_speed_positive", condition=Q(speed_kmh__gt=0)),
            models.CheckConstraint(
                name="base_detour_at_least_one", condition=Q(detour_factor__gte=1)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.municipality_code})"


class PlanStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    PUBLISHED = "published", _("Published")
    DISCARDED = "discarded", _("Discarded")


class VisitReason(models.TextChoices):
    """Why a visit is in the plan, in the order planning honours them."""

    APPOINTMENT = "appointment", _("Fixed appointment")
    REINSPECTION = "reinspection", _("Re-inspection due")
    COMPLAINT = "complaint", _("Complaint")
    PERIODIC = "periodic", _("Periodic inspection due")
    RISK = "risk", _("High risk")


class Plan(models.Model):
    """A proposal of visits for some municipalities and days; published, it becomes assignments."""

    municipality_codes = models.JSONField(
        help_text=_("The municipalities that share these inspectors.")
    )
    first_day = models.DateField()
    last_day = models.DateField()
    status = models.CharField(
        max_length=10, choices=PlanStatus.choices, default=PlanStatus.PROPOSED
    )
    solver = models.JSONField(default=dict, help_text=_("Search time, objective, route lengths."))
    carried_over = models.JSONField(
        default=list,
        help_text=_("Candidates that did not fit, in priority order, with the reason."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="plan_days_in_order", condition=Q(last_day__gte=F("first_day"))
            )
        ]


class PlannedVisit(models.Model):
    """One visit of a plan: who goes where, on which day, at which point of the route."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="visits")
    location = models.ForeignKey(
        "inspections.HousingLocation", on_delete=models.CASCADE, related_name="+"
    )
    inspection = models.ForeignKey(
        "inspections.Inspection",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The inspection this visit carries out (existing, or made when published)."),
    )
    reason = models.CharField(max_length=12, choices=VisitReason.choices)
    priority = models.DecimalField(
        max_digits=8, decimal_places=2, help_text=_("Higher goes first.")
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    day = models.DateField()
    position = models.PositiveSmallIntegerField()
    arrival = models.TimeField(help_text=_("Planned arrival, Europe/Amsterdam."))
    window_start = models.TimeField(null=True, blank=True)
    window_end = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["plan_id", "inspector_id", "day", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "location"], name="one_visit_per_location_per_plan"
            ),
        ]


class CalendarFeed(models.Model):
    """The secret of an inspector's calendar feed (calendar apps cannot send a token header)."""

    inspector = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    secret_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
