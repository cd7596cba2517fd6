"""The audit log: one row per thing a person did to (or saw of) a record."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import municipality_code_validator


class Action(models.TextChoices):
    """What was done. A small, fixed set: add one only when none of these describes it."""

    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Deleted")
    VIEW = "view", _("Viewed (personal or sensitive data)")
    EXPORT = "export", _("Exported")
    IMPORT = "import", _("Imported")
    STATUS_CHANGE = "status_change", _("Status changed")
    VERIFY = "verify", _("Verified")


class AuditEvent(models.Model):
    """Who did what to which record, when: append-only.

    Events are written once, by `backend.audit.services.record_event`, and never changed or
    deleted through the application (the admin is read-only and `save()` refuses updates).
    They outlive the accounts that caused them: `actor` becomes NULL when the user is deleted,
    and `actor_username`, copied at write time, keeps the log readable.

    `municipality_code` is the municipality whose administrators may read the event; NULL means
    only superusers, through the admin.
    """

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    actor_username = models.CharField(
        max_length=150, blank=True, help_text=_("The actor's username when the event happened.")
    )
    action = models.CharField(max_length=32, choices=Action.choices)
    target_type = models.CharField(
        max_length=100, help_text=_("app_label.model_name, e.g. inspections.housinglocation.")
    )
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=200, blank=True)
    # NULL (not "") means "no municipality": only superusers see the event.
    municipality_code = models.CharField(  # noqa: DJ001
        max_length=6, null=True, blank=True, validators=[municipality_code_validator]
    )
    changes = models.JSONField(
        default=dict, blank=True, help_text=_("Changed fields: {field: [old, new]}.")
    )
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_event_target_idx"),
            models.Index(
                fields=["municipality_code", "occurred_at"], name="audit_event_municipality_idx"
            ),
        ]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        who = self.actor_username or "-"
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {who} {self.action} {self.target_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Audit events are append-only: they cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events are append-only: they cannot be deleted one by one.")
