"""Photos from the field: uploaded by the assigned inspector, seen by the municipality's staff.

Upload is multipart (`inspection`, `id`, `file`); see inspections.services.photos for what is
checked and kept. People only ever get the derivatives (`thumbnail`, `screen`: JPEG without
metadata); the original stays private as evidence and is never served. Every read of a photo's
metadata or of a derivative is recorded in the audit log.
"""

from django.db.models import Q
from django.http import HttpResponse
from django.utils.http import parse_etags
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, renderers, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.reverse import reverse

from backend.api.base import GenericViewSet
from backend.api.conditional import ConditionalRetrieveMixin, conditional_response
from backend.api.pagination import CursorPagination
from backend.api.problems import PROBLEM_CONTENT_TYPE
from backend.audit.services import record_event
from geo.serializers import COORDINATE_PRECISION
from inspections.models import Inspection, Photo
from inspections.selectors.housing import municipality_ids, staff_municipalities
from inspections.services import photos as services

# Room for the multipart envelope and the other fields around the file.
MULTIPART_OVERHEAD = 64 * 1024
DERIVATIVE_VERSION = "1"  # part of the derivatives' ETag: bump when their making changes
CACHE_CONTROL = "private, max-age=86400"

_POINT_SCHEMA = {
    "type": "object",
    "nullable": True,
    "description": "GeoJSON Point (WGS84 lon, lat) from the photo's EXIF GPS; null without.",
    "required": ["type", "coordinates"],
    "properties": {
        "type": {"type": "string", "enum": ["Point"]},
        "coordinates": {
            "type": "array",
            "items": {"type": "number"},
            "minItems": 2,
            "maxItems": 2,
        },
    },
}


class JPEGRenderer(renderers.BaseRenderer):
    """Lets `Accept: image/jpeg` through content negotiation; the views answer the bytes."""

    media_type = "image/jpeg"
    format = "jpg"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class PhotoSerializer(serializers.ModelSerializer):
    gps_point = serializers.SerializerMethodField()
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)
    links = serializers.SerializerMethodField()

    class Meta:
        model = Photo
        fields = [
            "id",
            "inspection",
            "sha256",
            "content_type",
            "width",
            "height",
            "taken_at",
            "gps_point",
            "distance_m",
            "far_from_location",
            "uploaded_by",
            "uploaded_at",
            "links",
        ]
        read_only_fields = fields

    @extend_schema_field(_POINT_SCHEMA)
    def get_gps_point(self, photo):
        point = photo.gps_point
        if point is None:
            return None
        return {
            "type": "Point",
            "coordinates": [
                round(point.x, COORDINATE_PRECISION),
                round(point.y, COORDINATE_PRECISION),
            ],
        }

    @extend_schema_field(
        {
            "type": "object",
            "description": "Where to fetch the derivatives (JPEG); the original is never served.",
            "properties": {
                "thumbnail": {"type": "string", "format": "uri"},
                "screen": {"type": "string", "format": "uri"},
            },
        }
    )
    def get_links(self, photo):
        request = self.context.get("request")
        return {
            variant: reverse(f"photo-{variant}", kwargs={"pk": photo.pk}, request=request)
            for variant in ("thumbnail", "screen")
        }


class PhotoUploadSerializer(serializers.Serializer):
    inspection = serializers.IntegerField(
        min_value=1, help_text=gettext_lazy("The inspection the photo belongs to.")
    )
    id = serializers.UUIDField(
        help_text=gettext_lazy(
            "The UUID the app gave the photo. Sending it again with the same file is harmless."
        )
    )
    file = serializers.FileField(
        help_text=gettext_lazy(
            "The photo as the camera saved it: JPEG, PNG, WebP or HEIC (checked by content, not "
            "by name), at most 25 MB and 50 megapixels."
        )
    )


class PhotoPagination(CursorPagination):
    ordering = ("uploaded_at", "id")


def _municipality_code(photo: Photo) -> str:
    return photo.inspection.location.municipality.code


_PROBLEM = {"$ref": "#/components/schemas/Problem"}  # added by backend.api.schema
_VARIANT_RESPONSES = {
    (200, "image/jpeg"): OpenApiResponse(
        OpenApiTypes.BINARY,
        description="JPEG without metadata. Cache-Control: private, max-age=86400; with ETag.",
    ),
    304: OpenApiResponse(description="Not modified: the ETag in If-None-Match is current."),
}


class PhotoViewSet(ConditionalRetrieveMixin, mixins.ListModelMixin, GenericViewSet):
    """Photos of inspections: staff of the location's municipality and the uploader see them."""

    permission_classes = [IsAuthenticated]
    serializer_class = PhotoSerializer
    pagination_class = PhotoPagination
    renderer_classes = [renderers.JSONRenderer]
    parser_classes = [MultiPartParser]  # only create reads a body
    filterset_fields = ["inspection"]

    def get_queryset(self):
        user = self.request.user
        condition = Q(pk__in=[])
        codes = staff_municipalities(user)
        if codes:
            condition |= Q(inspection__location__municipality_id__in=municipality_ids(codes))
        if user.is_authenticated:
            condition |= Q(uploaded_by_id=user.pk)
        return (
            Photo.objects.filter(condition)
            .select_related("inspection__location__municipality", "uploaded_by")
            .order_by("uploaded_at", "id")
        )

    def _viewed(self, photo: Photo, detail: str = "") -> None:
        record_event(
            actor=self.request.user,
            action="view",
            target=photo,
            municipality_code=_municipality_code(photo),
            detail=detail,
        )

    @extend_schema(
        summary="Photos you may see (filter by inspection), oldest first",
        tags=["photos"],
    )
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        for photo in page:
            self._viewed(photo, "metadata (list)")
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary="One photo's metadata", tags=["photos"])
    def retrieve(self, request, *args, **kwargs):
        photo = self.get_object()
        self._viewed(photo, "metadata")
        return conditional_response(request, self.get_serializer(photo).data)

    @extend_schema(
        summary="Upload a photo of an inspection (multipart)",
        description=(
            "multipart/form-data with `inspection`, `id` (the app's UUID for the photo) and "
            "`file`. Only the inspector the inspection is assigned to uploads, while it is "
            "assigned, in progress or submitted. 201 for a new photo; 200 with the stored photo "
            "when these very bytes were uploaded for this inspection before (under any id); 409 "
            "when the id was used for other bytes. The file is checked by content: JPEG, PNG, "
            "WebP or HEIC, complete, at most 50 megapixels (400), at most 25 MB (413)."
        ),
        tags=["photos"],
        request={"multipart/form-data": PhotoUploadSerializer},
        responses={
            201: PhotoSerializer,
            200: OpenApiResponse(
                PhotoSerializer, description="These bytes were uploaded before: the stored photo."
            ),
            (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                _PROBLEM,
                description="The id is in use for other content, or the inspection is done.",
            ),
            (413, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                _PROBLEM, description="The file is larger than 25 MB."
            ),
        },
    )
    def create(self, request):
        limit = services.max_bytes()
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit + MULTIPART_OVERHEAD:  # refuse before reading the body
            raise services.too_large(declared - MULTIPART_OVERHEAD)
        upload = PhotoUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        if file.size > limit:
            raise services.too_large(file.size)
        inspection = self._inspection_for_upload(upload.validated_data["inspection"])
        photo, created = services.store_photo(
            inspection=inspection,
            photo_id=upload.validated_data["id"],
            data=file.read(),
            uploaded_by=request.user,
        )
        return Response(
            self.get_serializer(photo).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={"Location": reverse("photo-detail", kwargs={"pk": photo.pk}, request=request)},
        )

    def _inspection_for_upload(self, inspection_id: int) -> Inspection:
        user = self.request.user
        inspection = (
            Inspection.objects.select_related("location__municipality")
            .filter(pk=inspection_id)
            .first()
        )
        if inspection is not None and inspection.assigned_to_id == user.pk:
            return inspection
        if inspection is None or (
            inspection.location.municipality.code not in staff_municipalities(user)
        ):
            raise NotFound(
                _(
                    "There is no inspection %(id)s that you may see. Check the inspection id the "
                    "app sent with the photo."
                )
                % {"id": inspection_id}
            )
        raise PermissionDenied(
            _(
                "Inspection %(id)s is not assigned to you: only its assigned inspector uploads its "
                "photos. Ask the planner to assign it to you if you carried it out."
            )
            % {"id": inspection_id}
        )

    def _derivative(self, request, variant: str) -> HttpResponse:
        photo = self.get_object()
        self._viewed(photo, variant)
        etag = f'"{photo.sha256[:40]}-{variant}-v{DERIVATIVE_VERSION}"'
        headers = {
            "ETag": etag,
            "Cache-Control": CACHE_CONTROL,
            "Content-Disposition": f'inline; filename="{photo.pk}-{variant}.jpg"',
        }
        if etag in parse_etags(request.headers.get("If-None-Match", "")):
            return HttpResponse(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        with getattr(photo, variant).open("rb") as file:
            content = file.read()
        return HttpResponse(content, content_type="image/jpeg", headers=headers)

    @extend_schema(
        summary="The photo as a thumbnail: JPEG, fits in 320 px, no metadata",
        tags=["photos"],
        responses=_VARIANT_RESPONSES,
    )
    @action(detail=True, methods=["get"], renderer_classes=[JPEGRenderer])
    def thumbnail(self, request, pk=None):
        return self._derivative(request, "thumbnail")

    @extend_schema(
        summary="The photo for the screen: JPEG, fits in 1600 px, no metadata",
        tags=["photos"],
        responses=_VARIANT_RESPONSES,
    )
    @action(detail=True, methods=["get"], renderer_classes=[JPEGRenderer])
    def screen(self, request, pk=None):
        return self._derivative(request, "screen")
