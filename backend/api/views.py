"""The API root, the catch-all 404 and the documentation of problem types."""

from django.http import HttpResponse
from django.urls import Resolver404, resolve, reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from .base import APIView
from .problems import PROBLEM_TYPES, ProblemResponse


class ApiRootView(APIView):
    """Where everything is. Public, so a client can find its way before it signs in."""

    permission_classes = [AllowAny]
    links: dict[str, str] = {}  # filled in backend/urls.py from the routes it declares

    @extend_schema(tags=["meta"], responses={200: dict})
    def get(self, request):
        return Response(
            {
                "name": "Flexwonen Inspect API",
                "version": "v1",
                "schema": request.build_absolute_uri(reverse("schema")),
                "docs": request.build_absolute_uri(reverse("docs")),
                "links": {
                    name: request.build_absolute_uri(reverse(route))
                    for name, route in self.links.items()
                },
            }
        )


def unknown_path(request, path=""):
    """404 for any path that matches no route, with a hint when a trailing slash would match."""
    detail = _("There is nothing at %(path)s. The API starts at /api/v1/.") % {"path": request.path}
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not unknown_path:
            detail = _("There is nothing at %(path)s. Did you mean %(path)s/ ?") % {
                "path": request.path
            }
    return ProblemResponse(
        status_code=404, problem_type="not-found", detail=detail, instance=request.path
    )


def problem_type_doc(request, slug):
    """Human-readable documentation of one problem type (the target of each problem's `type`)."""
    kind = PROBLEM_TYPES.get(slug)
    if kind is None:
        return unknown_path(request)
    html = (
        f"<!doctype html><html lang='en'><meta charset='utf-8'><title>{escape(kind.title)}</title>"
        f"<h1>{escape(kind.title)}</h1><p>{escape(kind.description)}</p>"
        f"<p><code>type: {escape(kind.uri)}</code></p></html>"
    )
    return HttpResponse(html)
