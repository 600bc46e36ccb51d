"""Event pages (namespace "events": events:list, events:detail, ...), mounted once from privtraffic/urls.py, and
the customer's QR code of their check-in code (events:qr)."""

from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("b/<slug:slug>/events/", views.EventListView.as_view(), name="list"),
    path("b/<slug:slug>/events/new/", views.EventCreateView.as_view(), name="create"),
    path("b/<slug:slug>/events/<int:event_id>/", views.EventDetailView.as_view(), name="detail"),
    path("b/<slug:slug>/events/<int:event_id>/edit/", views.EventEditView.as_view(), name="edit"),
    path("b/<slug:slug>/events/<int:event_id>/check-in/", views.EventCheckinView.as_view(), name="checkin"),
    path("b/<slug:slug>/events/<int:event_id>/attendance.csv", views.EventAttendanceCsvView.as_view(),
         name="attendance_csv"),
    path("chat/events/<int:event_id>/qr.svg", views.CustomerEventQrView.as_view(), name="qr"),
]
