"""/api/v1/events/ (read): the brand's events and each event's RSVPs. Parse, call a selector, serialize."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from privtraffic.tenancy.api import BrandAPIView
from privtraffic.tenancy.parsing import query_choice

from . import selectors
from .models import RsvpStatus
from .serializers import EventSerializer, RsvpSerializer


class EventListApi(BrandAPIView):
    @extend_schema(responses=EventSerializer(many=True))
    def get(self, request):
        return self.paginate(selectors.event_list(self.brand), EventSerializer)


class EventDetailApi(BrandAPIView):
    @extend_schema(responses=EventSerializer)
    def get(self, request, event_id: int):
        return Response(EventSerializer(selectors.event_get(self.brand, event_id=event_id)).data)


class EventRsvpListApi(BrandAPIView):
    @extend_schema(parameters=[OpenApiParameter("status", str, enum=RsvpStatus.values)],
                   responses=RsvpSerializer(many=True))
    def get(self, request, event_id: int):
        event = selectors.event_get(self.brand, event_id=event_id)
        status = query_choice(request, "status", RsvpStatus.values)
        return self.paginate(selectors.event_rsvps(self.brand, event=event, status=status), RsvpSerializer)
