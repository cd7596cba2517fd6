"""Back office. Writes go through the services, so derived values and the audit log stay right."""

from django import forms
from django.contrib import admin, messages
from django.contrib.gis import admin as gis_admin
from rest_framework.exceptions import APIException

from .models import (
    Bedroom,
    ChecklistItem,
    ChecklistTemplate,
    Credential,
    Finding,
    HousingLocation,
    Inspection,
    NormProfile,
    NormProfileAssignment,
    OccupancyDeclaration,
    OccupancyObservation,
    Organisation,
    OrganisationMembership,
    Photo,
    RegisteredOccupancyImport,
    Violation,
)
from .services import housing as housing_services
from .services import norms as norm_services
from .services import organisations as organisation_services


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that only the API and its services write."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CredentialInline(ReadOnlyInline):
    model = Credential
    fk_name = "organisation"
    fields = ["kind", "number", "issuer", "valid_from", "valid_until"]
    readonly_fields = fields


class MemberInline(ReadOnlyInline):
    model = OrganisationMembership
    fields = ["user", "created_at"]
    readonly_fields = fields


class DecisionForm(forms.ModelForm):
    decision = forms.ChoiceField(
        choices=[("", "---"), *[(d, d) for d in organisation_services.DECISIONS]], required=False
    )
    reason = forms.CharField(
        required=False, max_length=500, help_text="Required to reject or suspend."
    )

    class Meta:
        model = Organisation
        fields = []


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    """Verification happens here or in the API; both call the same service."""

    form = DecisionForm
    list_display = ["name", "kvk_number", "status", "municipality_code", "created_at"]
    list_filter = ["status", "municipality_code", "is_temp_agency", "is_landlord"]
    search_fields = ["name", "kvk_number", "place"]
    readonly_fields = [
        "kvk_number",
        "name",
        "is_employer",
        "is_temp_agency",
        "is_landlord",
        "is_housing_provider",
        "street",
        "house_number",
        "house_letter",
        "house_number_addition",
        "postcode",
        "place",
        "contact_name",
        "contact_email",
        "contact_phone",
        "municipality_code",
        "status",
        "status_reason",
        "verified_by",
        "verified_at",
    ]
    fieldsets = [
        (None, {"fields": readonly_fields}),
        ("Decision", {"fields": ["decision", "reason"]}),
    ]
    inlines = [MemberInline, CredentialInline]

    def has_add_permission(self, request):
        return False  # organisations sign up themselves

    def save_model(self, request, obj, form, change):
        decision = form.cleaned_data.get("decision")
        if not decision:
            return
        try:
            organisation_services.decide_on_organisation(
                actor=request.user,
                organisation=obj,
                decision=decision,
                reason=form.cleaned_data["reason"],
            )
        except APIException as exc:
            messages.error(request, str(exc.detail))


class BedroomInline(ReadOnlyInline):
    model = Bedroom
    fields = ["label", "floor_area_m2", "beds"]
    readonly_fields = fields


@admin.register(HousingLocation)
class HousingLocationAdmin(gis_admin.GISModelAdmin):
    """Locations are registered and changed by their providers; here staff look and decide."""

    list_display = ["__str__", "kind", "status", "municipality", "capacity", "provider"]
    list_filter = ["status", "kind", "municipality"]
    search_fields = ["street", "postcode", "place", "bag_verblijfsobject_id", "provider__name"]
    list_select_related = ["municipality", "provider"]
    inlines = [BedroomInline]
    actions = ["verify", "suspend_for_inspection"]
    gis_widget_kwargs = {"attrs": {"default_zoom": 15}}

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method == "GET"  # view with the map; changes go through the services

    def has_delete_permission(self, request, obj=None):
        return False

    def _set_status(self, request, queryset, status, reason):
        done = 0
        for location in queryset.select_related("municipality"):
            try:
                housing_services.change_location_status(
                    actor=request.user,
                    location=location,
                    status=status,
                    reason=reason,
                    by_staff=True,
                )
                done += 1
            except APIException as exc:
                messages.warning(request, f"{location}: {exc.detail}")
        messages.info(request, f"{done} location(s) now {status}.")

    @admin.action(description="Verify selected locations")
    def verify(self, request, queryset):
        self._set_status(request, queryset, "verified", "")

    @admin.action(description="Suspend selected locations pending inspection")
    def suspend_for_inspection(self, request, queryset):
        self._set_status(
            request, queryset, "suspended", "Suspended in the back office pending inspection."
        )


@admin.register(NormProfile)
class NormProfileAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "floor_area_per_person_m2",
        "persons_per_bedroom",
        "bedroom_area_per_person_m2",
        "persons_per_toilet",
        "persons_per_shower",
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = norm_services.recompute_capacities(
            locations=HousingLocation.objects.filter(norm_profile=obj)
        )
        messages.info(request, f"{changed} location(s) changed capacity.")


@admin.register(NormProfileAssignment)
class NormProfileAssignmentAdmin(admin.ModelAdmin):
    list_display = ["municipality_code", "location_kind", "profile"]
    list_filter = ["location_kind", "profile"]
    actions = None  # a bulk delete would skip the recomputation of capacities

    def get_readonly_fields(self, request, obj=None):
        return ["municipality_code", "location_kind"] if obj else []

    def save_model(self, request, obj, form, change):
        _assignment, changed = norm_services.assign_norm_profile(
            actor=request.user,
            municipality_code=obj.municipality_code,
            location_kind=obj.location_kind,
            profile=obj.profile,
        )
        messages.info(request, f"{changed} location(s) changed capacity.")

    def delete_model(self, request, obj):
        try:
            norm_services.remove_norm_assignment(actor=request.user, assignment=obj)
        except APIException as exc:
            messages.error(request, str(exc.detail))


@admin.register(Credential)
class CredentialAdmin(ReadOnlyAdmin):
    list_display = [
        "kind",
        "number",
        "issuer",
        "organisation",
        "location",
        "valid_from",
        "valid_until",
    ]
    list_filter = ["kind"]
    search_fields = ["number", "issuer"]


@admin.register(OccupancyDeclaration)
class DeclarationAdmin(ReadOnlyAdmin):
    list_display = ["location", "persons", "valid_from", "valid_until", "declared_by"]


@admin.register(OccupancyObservation)
class ObservationAdmin(ReadOnlyAdmin):
    list_display = ["location", "persons", "beds_in_use", "observed_on", "observed_by"]


@admin.register(RegisteredOccupancyImport)
class RegisteredImportAdmin(ReadOnlyAdmin):
    list_display = [
        "municipality_code",
        "reference_date",
        "file_name",
        "rows",
        "matched",
        "created_at",
    ]


class ChecklistItemInline(ReadOnlyInline):
    model = ChecklistItem
    fields = [
        "position",
        "code",
        "theme",
        "question",
        "answer_type",
        "failure_severity",
        "photo_required",
        "norm_article",
    ]
    readonly_fields = fields


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(ReadOnlyAdmin):
    """Read-only: versions are published and copied through the API (a published one never changes)."""

    list_display = ["code", "version", "name", "status", "published_at"]
    list_filter = ["status", "code"]
    inlines = [ChecklistItemInline]


class FindingInline(ReadOnlyInline):
    model = Finding
    fields = ["item", "severity", "note", "from_answer"]
    readonly_fields = fields


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    list_display = ["id", "location", "kind", "status", "planned_date", "assigned_to"]
    list_filter = ["status", "kind", "planned_date"]
    search_fields = ["location__street", "location__postcode", "assigned_to__username"]
    list_select_related = ["location", "assigned_to"]
    inlines = [FindingInline]


@admin.register(Violation)
class ViolationAdmin(ReadOnlyAdmin):
    list_display = ["id", "location", "severity", "deadline", "status"]
    list_filter = ["status", "severity"]
    list_select_related = ["location"]


@admin.register(Photo)
class PhotoAdmin(ReadOnlyAdmin):
    """Metadata only: the images are served (and their reads logged) by the API."""

    list_display = [
        "id",
        "inspection",
        "taken_at",
        "distance_m",
        "far_from_location",
        "uploaded_by",
    ]
    list_filter = ["far_from_location"]
    exclude = ["original", "thumbnail", "screen"]
