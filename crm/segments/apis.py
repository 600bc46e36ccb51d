"""/api/v1/segments/: saved customer segments, and a live count of a definition while it is edited.

The list shows each segment's `count`: one COUNT query per row (EXISTS subqueries on indexed
columns), so a page of at most 50 segments costs at most 50 + 2 queries. Pass `?count=false`
to leave counts out.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from privtraffic.tenancy.api import BrandAPIView
from privtraffic.tenancy.parsing import parse_input, query_bool

from ..models import Segment
from . import selectors, services

DEFINITION_HELP = ('{"all": [conditions]} or {"any": [conditions]}; a condition is {"field", "op", "value"} '
                   '(and "key" for attributes), e.g. {"field": "tag", "op": "has", "value": "oily-skin"}. '
                   "Fields: tag (has|not_has), attribute (eq|neq|gt|lt|exists), store (eq), rep (eq), "
                   "group (member_of|not_member_of), active_within_days (lte), consent_promotions (eq), "
                   "source (eq), lifecycle_stage (eq), survey_answer (eq|includes, with \"question\": id).")


class SegmentSerializer(serializers.ModelSerializer):
    count = serializers.SerializerMethodField(help_text="customers currently in the segment (erased ones excluded)")

    class Meta:
        model = Segment
        fields = ["id", "name", "definition", "count", "created_at", "updated_at"]

    def get_count(self, segment) -> int | None:
        if not self.context.get("with_count", True):
            return None
        return selectors.segment_count(segment=segment)


class SegmentInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=services.MAX_NAME)
    definition = serializers.JSONField(help_text=DEFINITION_HELP)


class SegmentPreviewInputSerializer(serializers.Serializer):
    definition = serializers.JSONField(help_text=DEFINITION_HELP)


class SegmentPreviewSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class SegmentListApi(BrandAPIView):
    @extend_schema(parameters=[OpenApiParameter("count", bool, description="include counts (default true)")],
                   responses=SegmentSerializer(many=True))
    def get(self, request):
        with_count = query_bool(request, "count", default=True)
        return self.paginate(selectors.segment_list(brand=self.brand), SegmentSerializer,
                             context={"with_count": with_count})

    @extend_schema(request=SegmentInputSerializer, responses={201: SegmentSerializer})
    def post(self, request):
        data = parse_input(SegmentInputSerializer, request.data)
        segment = services.segment_save(brand=self.brand, actor=self.actor, **data)
        return Response(SegmentSerializer(segment).data, status=status.HTTP_201_CREATED)


class SegmentDetailApi(BrandAPIView):
    @extend_schema(responses=SegmentSerializer)
    def get(self, request, segment_id: int):
        return Response(SegmentSerializer(selectors.segment_get(brand=self.brand, segment_id=segment_id)).data)

    @extend_schema(request=SegmentInputSerializer(partial=True), responses=SegmentSerializer)
    def patch(self, request, segment_id: int):
        segment = selectors.segment_get(brand=self.brand, segment_id=segment_id)
        data = parse_input(SegmentInputSerializer, request.data, partial=True)
        segment = services.segment_save(brand=self.brand, actor=self.actor, segment=segment,
                                        name=data.get("name", segment.name),
                                        definition=data.get("definition", segment.definition))
        return Response(SegmentSerializer(segment).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, segment_id: int):
        segment = selectors.segment_get(brand=self.brand, segment_id=segment_id)
        services.segment_delete(segment=segment, actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SegmentPreviewApi(BrandAPIView):
    @extend_schema(request=SegmentPreviewInputSerializer, responses=SegmentPreviewSerializer)
    def post(self, request):
        """How many customers a definition matches right now (the live count while editing)."""
        data = parse_input(SegmentPreviewInputSerializer, request.data)
        return Response({"count": selectors.segment_preview_count(brand=self.brand, definition=data["definition"])})
