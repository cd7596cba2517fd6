"""Checklists that inspections follow, versioned: a published version never changes."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Theme(models.TextChoices):
    SPACE_AND_PRIVACY = "space_privacy", _("Space and privacy")
    SANITARY = "sanitary", _("Sanitary")
    FIRE_SAFETY = "fire_safety", _("Fire safety")
    HYGIENE = "hygiene", _("Hygiene")
    FACILITIES = "facilities", _("Facilities")
    INFORMATION_AND_CONTRACTS = "information_contracts", _("Information and contracts")
    OCCUPANCY = "occupancy", _("Occupancy counts")


class AnswerType(models.TextChoices):
    YES_NO = "yes_no", _("Yes or no")
    NUMBER = "number", _("Number")
    CHOICE = "choice", _("Choice")
    TEXT = "text", _("Text")


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")


class Measure(models.TextChoices):
    """What a counting item records about occupancy (it has no pass or fail)."""

    PERSONS = "persons", _("Persons present")
    BEDS = "beds_in_use", _("Beds in use")
    BEDROOMS = "bedrooms_in_use", _("Bedrooms in use")


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class ChecklistTemplate(models.Model):
    code = models.SlugField(help_text=_("The same for every version, e.g. 'snf-inspection'."))
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    source = models.CharField(max_length=300, help_text=_("The norm it rests on."))
    status = models.CharField(
        max_length=10, choices=TemplateStatus.choices, default=TemplateStatus.DRAFT
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="unique_template_version"),
            models.CheckConstraint(
                name="published_template_has_date",
                condition=Q(status="draft") | Q(published_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class ChecklistItem(models.Model):
    """One question. A failing answer is a finding of `failure_severity` (counting items never fail).

    Passing: yes/no items when the answer equals `passing_answer`; number items when within
    [min_value, max_value]; choice items when the answer is one of `passing_choices`.
    """

    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(max_length=20, help_text=_("e.g. FIRE-03"))
    position = models.PositiveSmallIntegerField()
    theme = models.CharField(max_length=24, choices=Theme.choices)
    question = models.CharField(max_length=300)
    guidance = models.CharField(max_length=500, blank=True)
    answer_type = models.CharField(max_length=8, choices=AnswerType.choices)
    choices = models.JSONField(default=list, blank=True)
    passing_answer = models.BooleanField(null=True, blank=True)
    min_value = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    max_value = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    passing_choices = models.JSONField(default=list, blank=True)
    measures = models.CharField(max_length=16, choices=Measure.choices, blank=True)
    photo_required = models.BooleanField(
        default=False, help_text=_("A failing answer needs a photo as evidence.")
    )
    failure_severity = models.CharField(
        max_length=8, choices=Severity.choices, default=Severity.MAJOR
    )
    norm_article = models.CharField(
        max_length=120, help_text=_("The rule it rests on, e.g. 'SNF 3.2'.")
    )

    class Meta:
        ordering = ["template_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "code"], name="unique_item_code"),
            models.UniqueConstraint(fields=["template", "position"], name="unique_item_position"),
            models.CheckConstraint(
                name="yes_no_item_has_passing_answer",
                condition=~Q(answer_type="yes_no") | Q(passing_answer__isnull=False),
            ),
            models.CheckConstraint(
                name="measuring_item_is_a_number",
                condition=Q(measures="") | Q(answer_type="number"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.question}"
