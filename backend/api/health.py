"""Liveness (/healthz: the process answers) and readiness (/readyz: database and spatial functions).

Readiness transforms a known point from WGS84 to RD New inside the database, which proves that
the spatial extension is loaded and that PROJ has what it needs for Dutch coordinates.
"""

import logging
import time

from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from .base import APIView
from .problems import ServiceUnavailable

logger = logging.getLogger(__name__)

# Amersfoort, the origin of RD New: (5.38720621 E, 52.15517440 N) is (155000, 463000) m.
_AMERSFOORT_WGS84 = (5.38720621, 52.15517440)
_AMERSFOORT_RD = (155000.0, 463000.0)
_TOLERANCE_M = 1.0


def check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def check_spatial() -> dict:
    lon, lat = _AMERSFOORT_WGS84
    with connection.cursor() as cursor:
        # Same SQL on PostGIS and SpatiaLite: both implement these SQL/MM functions.
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p) "
            "FROM (SELECT ST_Transform(ST_GeomFromText(%s, 4326), 28992) AS p) t",
            [f"POINT({lon} {lat})"],
        )
        x, y = cursor.fetchone()
    error_m = ((x - _AMERSFOORT_RD[0]) ** 2 + (y - _AMERSFOORT_RD[1]) ** 2) ** 0.5
    if error_m > _TOLERANCE_M:
        raise ValueError(f"WGS84 to RD New is off by {error_m:.2f} m")
    version = connection.ops.spatial_version
    return {"version": ".".join(map(str, version)), "rd_new_error_m": round(error_m, 3)}


CHECKS = {"database": check_database, "spatial": check_spatial}


class ProbeView(APIView):
    """For load balancers and orchestrators: public, unthrottled, no session or token lookups."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = []


class HealthView(ProbeView):
    """The process is alive. Touches nothing else, so a slow database never restarts it."""

    @extend_schema(
        tags=["health"],
        responses=inline_serializer("Health", {"status": serializers.CharField()}),
    )
    def get(self, request):
        return Response({"status": "ok"})


class ReadinessView(ProbeView):
    """Ready to serve: the database answers and its spatial functions work."""

    @extend_schema(
        tags=["health"],
        responses=inline_serializer(
            "Readiness", {"status": serializers.CharField(), "checks": serializers.DictField()}
        ),
    )
    def get(self, request):
        results, failed = {}, False
        for name, check in CHECKS.items():
            started = time.perf_counter()
            try:
                results[name] = {"status": "ok", **check()}
            except Exception as exc:  # any failure means not ready; report which and why
                logger.warning("readiness check %s failed: %s", name, exc)
                results[name] = {"status": "failed", "error": str(exc)}
                failed = True
            results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
        if failed:
            raise ServiceUnavailable(
                "Not ready: " + ", ".join(n for n, r in results.items() if r["status"] != "ok"),
                checks=results,
            )
        return Response({"status": "ok", "checks": results})
