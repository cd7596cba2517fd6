"""Routes: the API under /api/v1/, its schema and docs, health checks, the admin.

Unknown paths answer problem+json (the catch-all at the end), also when DEBUG is on.
"""

from django.contrib import admin
from django.db import transaction
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from backend.api import problems
from backend.api.health import HealthView, ReadinessView
from backend.api.views import ApiRootView, problem_type_doc, unknown_path

ApiRootView.links = {
    "me": "me",
    "tokens": "token-list",
    "role_assignments": "role-assignment-list",
    "audit_events": "audit-event-list",
    "municipalities": "municipality-list",
    "districts": "district-list",
    "neighbourhoods": "neighbourhood-list",
    "locate": "locate",
    "signup": "signup",
    "organisations": "organisation-list",
    "credentials": "credential-list",
    "locations": "location-list",
    "occupancy_declarations": "occupancy-declaration-list",
    "occupancy_observations": "occupancy-observation-list",
    "registered_occupancy_imports": "registered-occupancy-import-list",
    "norm_profiles": "norm-profile-list",
    "norm_assignments": "norm-assignment-list",
    "municipality_statistics": "municipality-statistics",
    "checklist_templates": "checklist-template-list",
    "inspections": "inspection-list",
    "violations": "violation-list",
    "photos": "photo-list",
    "plans": "plan-list",
    "working_hours": "working-hours-list",
    "absences": "absence-list",
    "planning_bases": "planning-base-list",
    "calendar_feed": "calendar-feed",
    "risk_locations": "risk-locations",
    "risk_weights": "risk-weights",
    "field_my_work": "field-my-work",
    "field_changes": "field-changes",
}

api_v1 = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("", include("backend.accounts.urls")),
    path("", include("backend.audit.urls")),
    path("", include("geo.urls")),
    path("", include("inspections.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    # Probes run often and write nothing: no transaction around them.
    path("healthz", transaction.non_atomic_requests(HealthView.as_view()), name="healthz"),
    path("readyz", transaction.non_atomic_requests(ReadinessView.as_view()), name="readyz"),
    path("problems/<slug:slug>", problem_type_doc, name="problem-type"),
    path("admin/", admin.site.urls),
    re_path(r"^(?P<path>.*)$", unknown_path),
]

handler400 = problems.bad_request
handler403 = problems.permission_denied
handler404 = problems.not_found
handler500 = problems.server_error
