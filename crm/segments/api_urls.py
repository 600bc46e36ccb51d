"""API routes of segments: include with `path("api/v1/", include("crm.segments.api_urls"))`."""

from django.urls import path

from . import apis

urlpatterns = [
    path("segments/", apis.SegmentListApi.as_view(), name="api-segments"),
    path("segments/preview/", apis.SegmentPreviewApi.as_view(), name="api-segments-preview"),
    path("segments/<int:segment_id>/", apis.SegmentDetailApi.as_view(), name="api-segment-detail"),
]
