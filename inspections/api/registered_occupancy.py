"""API for imports of registered occupancy: counts of persons per address from the BRP.

Municipal administrators upload the CSV their population register produces (multipart/form-data)
and read back what matched. Counts only: a file with personal data is refused, see
inspections.services.registered_occupancy.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from backend.accounts.models import municipality_code_validator
from backend.accounts.selectors import administered_municipalities
from backend.api.base import GenericViewSet
from backend.api.conditional import ConditionalRetrieveMixin
from backend.api.pagination import CursorPagination
from backend.api.permissions import IsMunicipalAdmin
from backend.api.problems import Problem
from inspections.models import RegisteredOccupancyImport
from inspections.services.registered_occupancy import (
    ALLOWED_COLUMNS,
    import_registered_occupancy,
)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class UnmatchedRowSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=gettext_lazy("Line in the file; the header is row 1."))
    key = serializers.CharField(
        help_text=gettext_lazy("The row's BAG verblijfsobject id, or its postcode and number.")
    )
    reason = serializers.CharField()


class RegisteredOccupancyImportSerializer(serializers.ModelSerializer):
    unmatched_count = serializers.SerializerMethodField()
    unmatched = UnmatchedRowSerializer(
        many=True,
        read_only=True,
        help_text=gettext_lazy("Rows that matched no housing location of the municipality."),
    )
    imported_by = serializers.CharField(source="imported_by.username", read_only=True, default=None)

    class Meta:
        model = RegisteredOccupancyImport
        fields = [
            "id",
            "municipality_code",
            "reference_date",
            "file_name",
            "rows",
            "matched",
            "unmatched_count",
            "unmatched",
            "imported_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_unmatched_count(self, record) -> int:
        return len(record.unmatched)


class RegisteredOccupancyUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,  # the service explains what an empty file should hold
        help_text=gettext_lazy(
            "CSV, UTF-8 (with or without BOM), separated by ',' or ';', at most 20 MB. Columns: "
            "%(columns)s. persons is required; each row needs bag_verblijfsobject_id, or postcode "
            "and house_number. No personal data: a file with a BSN, name or date of birth is "
            "refused."
        )
        % {"columns": ", ".join(ALLOWED_COLUMNS)},
    )
    municipality_code = serializers.CharField(
        max_length=6,
        validators=[municipality_code_validator],
        help_text=gettext_lazy("CBS code of a municipality you administer, e.g. GM1783."),
    )
    reference_date = serializers.DateField(
        help_text=gettext_lazy("The date the register counts (peildatum), YYYY-MM-DD.")
    )


class ImportPagination(CursorPagination):
    ordering = ("-created_at", "-id")


@extend_schema_view(
    list=extend_schema(
        summary="Imports of registered occupancy in the municipalities you administer",
        tags=["registered occupancy"],
    ),
    retrieve=extend_schema(
        summary="One import of registered occupancy", tags=["registered occupancy"]
    ),
)
class RegisteredOccupancyImportViewSet(
    ConditionalRetrieveMixin, mixins.ListModelMixin, GenericViewSet
):
    """Counts of persons registered per address (BRP), uploaded as CSV: newest first."""

    permission_classes = [IsMunicipalAdmin]
    serializer_class = RegisteredOccupancyImportSerializer
    pagination_class = ImportPagination
    parser_classes = [MultiPartParser]  # only create reads a body
    filterset_fields = ["municipality_code", "reference_date"]

    def get_queryset(self):
        return RegisteredOccupancyImport.objects.filter(
            municipality_code__in=administered_municipalities(self.request.user)
        ).select_related("imported_by")

    @extend_schema(
        summary="Upload counts of persons registered per address (CSV)",
        description=(
            "multipart/form-data with `file`, `municipality_code` and `reference_date`. The whole "
            "file is checked first: any problem is a 400 listing every row at fault in "
            "`errors.file`, and nothing is stored. 201 with the report for a new import; 200 with "
            "the earlier report when this very file was imported before (nothing changes)."
        ),
        tags=["registered occupancy"],
        request={"multipart/form-data": RegisteredOccupancyUploadSerializer},
        responses={
            201: RegisteredOccupancyImportSerializer,
            200: OpenApiResponse(
                RegisteredOccupancyImportSerializer,
                description="This file was imported before; its earlier report.",
            ),
        },
    )
    def create(self, request):
        upload = RegisteredOccupancyUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        administered = administered_municipalities(request.user)
        if data["municipality_code"] not in administered:
            raise PermissionDenied(
                _(
                    "You administer %(codes)s, not %(code)s: import the counts of a municipality "
                    "you administer, or ask an administrator of %(code)s."
                )
                % {"codes": ", ".join(sorted(administered)), "code": data["municipality_code"]}
            )
        file = data["file"]
        if file.size > MAX_UPLOAD_BYTES:
            raise Problem(
                _(
                    "The file is %(size).1f MB; at most 20 MB is accepted. Leave out columns other "
                    "than %(columns)s, or split the file by postcode area."
                )
                % {"size": file.size / 1024 / 1024, "columns": ", ".join(ALLOWED_COLUMNS)},
                problem_type="content-too-large",
                status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        result = import_registered_occupancy(
            file_bytes=b"".join(file.chunks()),
            file_name=file.name or "upload.csv",
            municipality_code=data["municipality_code"],
            reference_date=data["reference_date"],
            imported_by=request.user,
        )
        return Response(
            self.get_serializer(result.record).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )
