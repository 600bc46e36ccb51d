from django.urls import path

from . import apis

urlpatterns = [
    path("events/", apis.EventListApi.as_view(), name="api-events"),
    path("events/<int:event_id>/", apis.EventDetailApi.as_view(), name="api-event-detail"),
    path("events/<int:event_id>/rsvps/", apis.EventRsvpListApi.as_view(), name="api-event-rsvps"),
]
