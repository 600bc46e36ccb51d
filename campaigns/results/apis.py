"""/api/v1/campaigns/{id}/stats/ and /recipients/: how a campaign went (every run of it)."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from privtraffic.tenancy.api import BrandAPIView
from privtraffic.tenancy.parsing import query_choice

from ..authoring.selectors import campaign_get
from ..models import DeliveryStatus, SkipReason
from . import selectors
from .serializers import RecipientSerializer, StatsSerializer


class CampaignStatsApi(BrandAPIView):
    @extend_schema(responses=StatsSerializer)
    def get(self, request, campaign_id: int):
        """Progress and results: delivered, skipped (by reason), failed, pending and deferred of total, read,
        clicks, redemptions of its coupons (`redeemed`), and orders and revenue attributed to the campaign (last
        touch)."""
        campaign = campaign_get(brand=self.brand, campaign_id=campaign_id)
        return Response(StatsSerializer(selectors.campaign_stats(self.brand, campaign=campaign)).data)


class CampaignRecipientsApi(BrandAPIView):
    @extend_schema(parameters=[OpenApiParameter("status", str, enum=DeliveryStatus.values),
                               OpenApiParameter("reason", str, enum=SkipReason.values)],
                   responses=RecipientSerializer(many=True))
    def get(self, request, campaign_id: int):
        """Each recipient of every run with its status and, when skipped or deferred, the reason."""
        campaign = campaign_get(brand=self.brand, campaign_id=campaign_id)
        recipients = selectors.campaign_recipients(
            self.brand, campaign=campaign, status=query_choice(request, "status", DeliveryStatus.values),
            reason=query_choice(request, "reason", SkipReason.values))
        with timezone.override(self.brand.tzinfo):
            return self.paginate(recipients, RecipientSerializer)
