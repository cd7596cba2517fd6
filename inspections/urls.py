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
from .api.registered_occupancy import RegisteredOccupancyImportViewSet
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

urlpatterns = [
    path("signup/", SignUpView.as_view(), name="signup"),
    path(
        "statistics/municipalities/",
        MunicipalityStatisticsView.as_view(),
        name="municipality-statistics",
    ),
    path("field/my-work/", MyWorkView.as_view(), name="field-my-work"),
    path("field/changes/", ChangesView.as_view(), name="field-changes"),
    *router.urls,
]
