"""Dashboard routes of segments: include with `path("", include("crm.segments.urls"))`."""

from django.urls import path

from . import views

app_name = "crm_segments"

urlpatterns = [
    path("b/<slug:slug>/segments/", views.SegmentListView.as_view(), name="list"),
    path("b/<slug:slug>/segments/preview/", views.SegmentPreviewView.as_view(), name="preview"),
    path("b/<slug:slug>/segments/pick/", views.SegmentPickerView.as_view(), name="pick"),
    path("b/<slug:slug>/segments/<int:segment_id>/", views.SegmentEditView.as_view(), name="edit"),
    path("b/<slug:slug>/segments/<int:segment_id>/delete/", views.SegmentDeleteView.as_view(), name="delete"),
]
