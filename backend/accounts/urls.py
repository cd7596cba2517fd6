from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import MeView, RoleAssignmentViewSet, TokenViewSet

router = SimpleRouter()
router.register("auth/tokens", TokenViewSet, basename="token")
router.register("role-assignments", RoleAssignmentViewSet, basename="role-assignment")

urlpatterns = [path("me/", MeView.as_view(), name="me"), *router.urls]
