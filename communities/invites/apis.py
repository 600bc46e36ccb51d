"""/api/v1/invites/. Parse, call one service or selector, serialize."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from privtraffic.tenancy.api import BrandAPIView
from privtraffic.tenancy.parsing import parse_input, query_int
from privtraffic.tenancy.selectors import rep_get, store_get

from ..groups.selectors import group_get
from . import selectors, services
from .serializers import InviteCreateSerializer, InviteSerializer


class InviteListApi(BrandAPIView):
    @extend_schema(parameters=[OpenApiParameter("group", int), OpenApiParameter("rep", int)],
                   responses=InviteSerializer(many=True))
    def get(self, request):
        invites = selectors.invite_list(brand=self.brand, actor=self.actor, group_id=query_int(request, "group"),
                                        rep_id=query_int(request, "rep"))
        return self.paginate(invites, InviteSerializer, context={"request": request})

    @extend_schema(request=InviteCreateSerializer, responses={201: InviteSerializer})
    def post(self, request):
        data = dict(parse_input(InviteCreateSerializer, request.data))
        if "group" in data:
            data["group"] = group_get(brand=self.brand, group_id=data["group"], actor=self.actor)
        if "rep" in data:
            data["rep"] = rep_get(brand=self.brand, rep_id=data["rep"], actor=self.actor)
        if data.get("store") is not None:
            data["store"] = store_get(brand=self.brand, store_id=data["store"])
        invite = services.invite_link_create(brand=self.brand, actor=self.actor, **data)
        return Response(InviteSerializer(invite, context={"request": request}).data, status=status.HTTP_201_CREATED)


class InviteDetailApi(BrandAPIView):
    @extend_schema(responses=InviteSerializer)
    def get(self, request, invite_id: int):
        invite = selectors.invite_get(brand=self.brand, invite_id=invite_id, actor=self.actor)
        return Response(InviteSerializer(invite, context={"request": request}).data)

    @extend_schema(responses=InviteSerializer)
    def delete(self, request, invite_id: int):
        invite = selectors.invite_get(brand=self.brand, invite_id=invite_id, actor=self.actor)
        return Response(InviteSerializer(services.invite_link_revoke(invite=invite, actor=self.actor),
                                         context={"request": request}).data)
