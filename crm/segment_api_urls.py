"""API routes of segments: include with `path("api/v1/", include("crm.segment_api_urls"))`."""

from django.urls import path

from . import segment_apis

urlpatterns = [
    path("segments/", segment_apis.SegmentListApi.as_view(), name="api-segments"),
    path("segments/preview/", segment_apis.SegmentPreviewApi.as_view(), name="api-segments-preview"),
    path("segments/<int:segment_id>/", segment_apis.SegmentDetailApi.as_view(), name="api-segment-detail"),
]
