"""Dashboard routes of segments: include with `path("", include("crm.segment_urls"))`."""

from django.urls import path

from . import segment_views

app_name = "crm_segments"

urlpatterns = [
    path("b/<slug:slug>/segments/", segment_views.SegmentListView.as_view(), name="list"),
    path("b/<slug:slug>/segments/preview/", segment_views.SegmentPreviewView.as_view(), name="preview"),
    path("b/<slug:slug>/segments/<int:segment_id>/", segment_views.SegmentEditView.as_view(), name="edit"),
]
