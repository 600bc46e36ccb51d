"""/api/v1/customers/import/, /api/v1/imports/{id}/ and /api/v1/customers/export.csv."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from privtraffic.tenancy.api import BrandAPIView
from privtraffic.tenancy.parsers import MultiPartParser
from privtraffic.tenancy.parsing import parse_input, query_int

from ..models import ImportJob
from . import exporting, selectors, services
from .checking import row_error_text
from .mapping import parse_mapping_json


class ImportJobSerializer(serializers.ModelSerializer):
    phase = serializers.SerializerMethodField(help_text="mapping|waiting|checking|writing|finished")
    checked_rows = serializers.SerializerMethodField()
    mapping = serializers.SerializerMethodField()
    skip_invalid = serializers.SerializerMethodField()
    errors = serializers.SerializerMethodField(help_text='[{"row": 17, "field": "email", "message": ..., "text": ...}]; '
                                                         "the header is row 1")

    class Meta:
        model = ImportJob
        fields = ["id", "status", "phase", "original_name", "total_rows", "checked_rows", "processed_rows",
                  "progress_percent", "created_count", "updated_count", "skipped_count", "errors", "mapping",
                  "skip_invalid", "created_at", "finished_at"]

    def get_phase(self, job) -> str:
        return getattr(job, "phase", "")

    def get_checked_rows(self, job) -> int:
        return getattr(job, "checked_rows", 0)

    def get_mapping(self, job) -> dict[str, str]:
        return job.options.get("mapping") or {}

    def get_skip_invalid(self, job) -> bool:
        return bool(job.options.get("skip_invalid"))

    def get_errors(self, job) -> list[dict]:
        return [{**error, "text": row_error_text(error)} for error in job.errors or []]


class ImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, help_text="CSV: UTF-8 (with or without BOM), UTF-16 with BOM, "
                                                                  "GB18030/GBK or Latin-1/cp1252 (detected); "
                                                                  "comma, semicolon or tab separated; a header row")
    mapping = serializers.CharField(required=False, allow_blank=True,
                                    help_text='JSON text: {"<column in the header>": "name|email|phone|home_store|'
                                              'consent_chat|consent_promotions|ignore"}; when given, columns it does '
                                              "not name are ignored; when left out, columns are recognised by their "
                                              "names (name, email, phone, 姓名, 手机, ...)")
    skip_invalid = serializers.BooleanField(required=False, default=False,
                                            help_text="import the valid rows and report the others")


class CustomerImportApi(BrandAPIView):
    parser_classes = [MultiPartParser]  # a CSV upload; every other API body is JSON

    @extend_schema(responses=ImportJobSerializer(many=True))
    def get(self, request):
        """The brand's imports, newest first."""
        return self.paginate(selectors.import_job_list(brand=self.brand), ImportJobSerializer)

    @extend_schema(
        request={"multipart/form-data": ImportInputSerializer},
        responses={202: ImportJobSerializer,
                   400: OpenApiResponse(description="a bad file, a bad mapping, or (unless skip_invalid) row errors: "
                                                    'fields.rows = ["Row 17: email: ...", ...]; nothing imported')},
    )
    def post(self, request):
        """Queue a CSV import of customers; matching email (else phone) updates instead of duplicating."""
        data = parse_input(ImportInputSerializer, request.data)
        job = services.customer_import_create(
            brand=self.brand, actor=self.actor, file=data["file"], mapping=parse_mapping_json(data.get("mapping")),
            skip_invalid=data["skip_invalid"])
        job = selectors.import_job_get(brand=self.brand, import_id=job.pk)
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED,
                        headers={"Location": reverse("api-import-detail", kwargs={"import_id": job.pk})})


class ImportDetailApi(BrandAPIView):
    @extend_schema(responses=ImportJobSerializer)
    def get(self, request, import_id: int):
        """One import with its progress, counts and row errors."""
        return Response(ImportJobSerializer(selectors.import_job_get(brand=self.brand, import_id=import_id)).data)


class CustomerExportCsvApi(BrandAPIView):
    def perform_content_negotiation(self, request, force=False):
        # The body is CSV whatever the client accepts; errors stay JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(parameters=[OpenApiParameter("search", str), OpenApiParameter("segment", int)],
                   responses={(200, "text/csv"): OpenApiTypes.BINARY})
    def get(self, request):
        """The brand's customers as a streamed CSV (UTF-8 with BOM); `search` filters like the list."""
        search = request.query_params.get("search", "")
        chunks = services.customers_export_csv(brand=self.brand, actor=self.actor, search=search,
                                               segment_id=query_int(request, "segment"))
        return exporting.export_response(request, self.brand, chunks)
