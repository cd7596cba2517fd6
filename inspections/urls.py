from django.urls import path
from rest_framework.routers import SimpleRouter

from .api.checklists import ChecklistTemplateViewSet
from .api.credentials import CredentialViewSet
from .api.field import ChangesView, MyWorkView
from .api.inspections import InspectionViewSet
from .api.locations import LocationViewSet
from .api.norms import NormAssignmentViewSet, NormProfileViewSet
from .api.occupancy import DeclarationViewSet, ObservationViewSet
from .api.organisations import OrganisationViewSet, SignUpView
from .api.photos import PhotoViewSet
from .api.planning import (
    AbsenceViewSet,
    CalendarFeedView,
    CalendarView,
    PlanningBaseViewSet,
    PlanViewSet,
    WorkingHoursViewSet,
)
from .api.registered_occupancy import RegisteredOccupancyImportViewSet
from .api.risk import (
    LocationRiskView,
    OrganisationNetworkView,
    OrganisationRiskView,
    RankedLocationRisksView,
    RiskWeightsView,
)
from .api.statistics import MunicipalityStatisticsView
from .api.violations import ViolationViewSet

router = SimpleRouter()
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("credentials", CredentialViewSet, basename="credential")
router.register("checklist-templates", ChecklistTemplateViewSet, basename="checklist-template")
router.register("locations", LocationViewSet, basename="location")
router.register("occupancy-declarations", DeclarationViewSet, basename="occupancy-declaration")
router.register("occupancy-observations", ObservationViewSet, basename="occupancy-observation")
router.register(
    "registered-occupancy-imports",
    RegisteredOccupancyImportViewSet,
    basename="registered-occupancy-import",
)
router.register("norm-profiles", NormProfileViewSet, basename="norm-profile")
router.register("norm-assignments", NormAssignmentViewSet, basename="norm-assignment")
router.register("inspections", InspectionViewSet, basename="inspection")
router.register("violations", ViolationViewSet, basename="violation")
router.register("photos", PhotoViewSet, basename="photo")
router.register("working-hours", WorkingHoursViewSet, basename="working-hours")
router.register("absences", AbsenceViewSet, basename="absence")
router.register("planning-bases", PlanningBaseViewSet, basename="planning-base")
router.register("plans", PlanViewSet, basename="plan")

urlpatterns = [
    path("signup/", SignUpView.as_view(), name="signup"),
    path(
        "statistics/municipalities/",
        MunicipalityStatisticsView.as_view(),
        name="municipality-statistics",
    ),
    path("field/my-work/", MyWorkView.as_view(), name="field-my-work"),
    path("field/changes/", ChangesView.as_view(), name="field-changes"),
    path("me/calendar/", CalendarFeedView.as_view(), name="calendar-feed"),
    path("calendar/<str:secret>.ics", CalendarView.as_view(), name="calendar"),
    path("locations/<int:pk>/risk/", LocationRiskView.as_view(), name="location-risk"),
    path("risk/locations/", RankedLocationRisksView.as_view(), name="risk-locations"),
    path("organisations/<int:pk>/risk/", OrganisationRiskView.as_view(), name="organisation-risk"),
    path(
        "organisations/<int:pk>/network/",
        OrganisationNetworkView.as_view(),
        name="organisation-network",
    ),
    path("risk-weights/", RiskWeightsView.as_view(), name="risk-weights"),
    *router.urls,
]
