from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import DistrictViewSet, LocateView, MunicipalityViewSet, NeighbourhoodViewSet

router = SimpleRouter()
router.register("municipalities", MunicipalityViewSet, basename="municipality")
router.register("districts", DistrictViewSet, basename="district")
router.register("neighbourhoods", NeighbourhoodViewSet, basename="neighbourhood")

urlpatterns = [path("locate/", LocateView.as_view(), name="locate"), *router.urls]
