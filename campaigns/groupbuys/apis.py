"""/api/v1/groupbuys/: list and create, and one group-buy. Parse, call one service or selector, serialize."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from privtraffic.tenancy.api import BrandAPIView
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.parsing import parse_input, query_choice

from . import selectors, services
from .models import GroupBuyStatus
from .serializers import GroupBuyCreateSerializer, GroupBuySerializer


class GroupBuyListApi(BrandAPIView):
    @extend_schema(parameters=[OpenApiParameter("status", str, enum=GroupBuyStatus.values)],
                   responses=GroupBuySerializer(many=True))
    def get(self, request):
        wanted = query_choice(request, "status", GroupBuyStatus.values) or ""
        return self.paginate(selectors.group_buy_list(self.brand, status=wanted), GroupBuySerializer)

    @extend_schema(request=GroupBuyCreateSerializer, responses={201: GroupBuySerializer})
    def post(self, request):
        data = parse_input(GroupBuyCreateSerializer, request.data)
        group_buy = services.group_buy_save(
            brand=self.brand, actor=self.actor, product_id=data["product"], title=data["title"],
            tiers=[{"min": t["min"], "price": str(t["price"])} for t in data["tiers"]], deadline=data["deadline"])
        return Response(GroupBuySerializer(group_buy).data, status=status.HTTP_201_CREATED)


class GroupBuyDetailApi(BrandAPIView):
    @extend_schema(responses=GroupBuySerializer)
    def get(self, request, groupbuy_id: int):
        group_buy = selectors.group_buy_get(self.brand, group_buy_id=groupbuy_id)
        if group_buy is None:
            raise ApplicationError.not_found("group-buy")
        return Response(GroupBuySerializer(group_buy).data)
