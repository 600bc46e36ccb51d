"""/api/v1/campaigns/: write, schedule and cancel campaigns; one small view per operation.

Every write goes through campaigns.authoring.services (all input checked there: unknown variables are
`unknown_variable`, an audience nobody in it can receive is `empty_audience`, a campaign that is sending or
done is `campaign_locked` (409)); another brand's campaign, group or segment is 404.
"""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from privtraffic.tenancy.api import BrandAPIView
from privtraffic.tenancy.parsing import parse_input, query_choice

from ..models import CampaignStatus
from . import selectors, services
from .audience import audience_breakdown
from .serializers import (
    CampaignInputSerializer,
    CampaignSerializer,
    PreviewSerializer,
    ScheduleInputSerializer,
    service_fields,
)


class _CampaignApi(BrandAPIView):
    def _parse(self, serializer_class, **kwargs) -> dict:
        # A send_at without an offset is the brand's wall-clock time.
        with timezone.override(self.brand.tzinfo):
            return dict(parse_input(serializer_class, self.request.data, **kwargs))

    def _campaign(self, campaign_id):
        return selectors.campaign_get(brand=self.brand, campaign_id=campaign_id)

    def _answer(self, campaign, status_code=status.HTTP_200_OK) -> Response:
        with timezone.override(self.brand.tzinfo):
            return Response(CampaignSerializer(campaign).data, status=status_code)


class CampaignListApi(_CampaignApi):
    @extend_schema(parameters=[OpenApiParameter("status", str, enum=CampaignStatus.values)],
                   responses=CampaignSerializer(many=True))
    def get(self, request):
        campaigns = selectors.campaign_list(brand=self.brand,
                                            status=query_choice(request, "status", CampaignStatus.values))
        with timezone.override(self.brand.tzinfo):
            return self.paginate(campaigns, CampaignSerializer)

    @extend_schema(request=CampaignInputSerializer, responses={201: CampaignSerializer})
    def post(self, request):
        """Create a draft; schedule it with `campaigns/{id}/schedule/`."""
        data = service_fields(self._parse(CampaignInputSerializer))
        campaign = services.campaign_create(brand=self.brand, actor=self.actor, **data)
        return self._answer(campaign, status.HTTP_201_CREATED)


class CampaignDetailApi(_CampaignApi):
    @extend_schema(responses=CampaignSerializer)
    def get(self, request, campaign_id: int):
        return self._answer(self._campaign(campaign_id))

    @extend_schema(request=CampaignInputSerializer(partial=True), responses=CampaignSerializer)
    def patch(self, request, campaign_id: int):
        """Change a draft or scheduled campaign (a scheduled one moves to its new time); 409 `campaign_locked`
        once it is sending."""
        campaign = self._campaign(campaign_id)
        data = service_fields(self._parse(CampaignInputSerializer, partial=True))
        return self._answer(services.campaign_update(campaign=campaign, actor=self.actor, **data))

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, campaign_id: int):
        """Delete a draft; a campaign that ran is cancelled instead (409 `campaign_locked`)."""
        services.campaign_delete(campaign=self._campaign(campaign_id), actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CampaignScheduleApi(_CampaignApi):
    @extend_schema(request=ScheduleInputSerializer, responses=CampaignSerializer)
    def post(self, request, campaign_id: int):
        """Schedule a draft (or move a scheduled one): at `send_at`, now when it is null or past. An audience
        nobody in it can receive is refused with `empty_audience`."""
        campaign = self._campaign(campaign_id)
        data = self._parse(ScheduleInputSerializer)
        return self._answer(services.campaign_schedule(campaign=campaign, actor=self.actor, **data))


class CampaignCancelApi(_CampaignApi):
    @extend_schema(request=None, responses=CampaignSerializer)
    def post(self, request, campaign_id: int):
        """Stop what has not gone out: pending recipients are skipped (`cancelled`), rep tasks close."""
        return self._answer(services.campaign_cancel(campaign=self._campaign(campaign_id), actor=self.actor))


class CampaignPreviewApi(_CampaignApi):
    @extend_schema(responses=PreviewSerializer)
    def get(self, request, campaign_id: int):
        """The audience before sending, split by what will happen to each recipient at the scheduled time
        (or now): who will receive it, who is skipped and why, who is deferred by quiet hours."""
        campaign = self._campaign(campaign_id)
        at = campaign.next_run_at or campaign.send_at or timezone.now()
        breakdown = audience_breakdown(campaign=campaign, at=at)
        with timezone.override(self.brand.tzinfo):
            return Response(PreviewSerializer({"total": breakdown.total, "will_receive": breakdown.will_receive,
                                               "deferred": breakdown.deferred, "skipped": breakdown.skipped,
                                               "at": at}).data)
