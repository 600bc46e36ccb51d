"""/api/v1/groups/ and their members. Parse, call one service or selector, serialize."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from crm.customers.selectors import customer_get
from privtraffic.tenancy.api import BrandAPIView
from privtraffic.tenancy.parsing import parse_input, query_bool, query_int
from privtraffic.tenancy.selectors import rep_get, store_get

from . import selectors, services
from .serializers import (
    GroupInputSerializer,
    GroupSerializer,
    MemberAddSerializer,
    MemberSerializer,
    MemberUpdateSerializer,
)


def _group_refs(brand, actor, data: dict) -> dict:
    if data.get("store") is not None:
        data["store"] = store_get(brand=brand, store_id=data["store"])
    if data.get("overflow_group") is not None:
        data["overflow_group"] = selectors.group_get(brand=brand, group_id=data["overflow_group"], actor=actor)
    if data.get("host_rep") is not None:
        data["host_rep"] = rep_get(brand=brand, rep_id=data["host_rep"], actor=actor)
    return data


class GroupListApi(BrandAPIView):
    @extend_schema(parameters=[OpenApiParameter("store", int), OpenApiParameter("archived", bool)],
                   responses=GroupSerializer(many=True))
    def get(self, request):
        groups = selectors.group_list(brand=self.brand, actor=self.actor, store_id=query_int(request, "store"),
                                      include_archived=query_bool(request, "archived", default=False))
        return self.paginate(groups, GroupSerializer)

    @extend_schema(request=GroupInputSerializer, responses={201: GroupSerializer})
    def post(self, request):
        data = _group_refs(self.brand, self.actor, dict(parse_input(GroupInputSerializer, request.data)))
        group = services.group_create(brand=self.brand, actor=self.actor, **data)
        return Response(GroupSerializer(group).data, status=status.HTTP_201_CREATED)


class GroupDetailApi(BrandAPIView):
    @extend_schema(responses=GroupSerializer)
    def get(self, request, group_id: int):
        return Response(GroupSerializer(selectors.group_get(brand=self.brand, group_id=group_id, actor=self.actor)).data)

    @extend_schema(request=GroupInputSerializer, responses=GroupSerializer)
    def patch(self, request, group_id: int):
        group = selectors.group_get(brand=self.brand, group_id=group_id, actor=self.actor)
        data = _group_refs(self.brand, self.actor, dict(parse_input(GroupInputSerializer, request.data, partial=True)))
        return Response(GroupSerializer(services.group_update(group=group, actor=self.actor, **data)).data)


class MemberListApi(BrandAPIView):
    @extend_schema(parameters=[OpenApiParameter("search", str)], responses=MemberSerializer(many=True))
    def get(self, request, group_id: int):
        group = selectors.group_get(brand=self.brand, group_id=group_id, actor=self.actor)
        return self.paginate(selectors.member_list(group=group, search=request.query_params.get("search", "")),
                             MemberSerializer)

    @extend_schema(request=MemberAddSerializer, responses={201: MemberSerializer, 200: MemberSerializer})
    def post(self, request, group_id: int):
        group = selectors.group_get(brand=self.brand, group_id=group_id, actor=self.actor)
        customer = customer_get(brand=self.brand, actor=self.actor,
                                customer_id=parse_input(MemberAddSerializer, request.data)["customer"])
        already = selectors.member_is_active(group=group, customer=customer)
        member = services.group_member_add(group=group, customer=customer, actor=self.actor)
        return Response(MemberSerializer(member).data, status=status.HTTP_200_OK if already else status.HTTP_201_CREATED)


class MemberDetailApi(BrandAPIView):
    @extend_schema(responses=MemberSerializer)
    def get(self, request, group_id: int, customer_id: int):
        group = selectors.group_get(brand=self.brand, group_id=group_id, actor=self.actor)
        return Response(MemberSerializer(selectors.member_get(group=group, customer_id=customer_id)).data)

    @extend_schema(request=MemberUpdateSerializer, responses=MemberSerializer)
    def patch(self, request, group_id: int, customer_id: int):
        group = selectors.group_get(brand=self.brand, group_id=group_id, actor=self.actor)
        member = selectors.member_get(group=group, customer_id=customer_id)
        data = parse_input(MemberUpdateSerializer, request.data)
        if "role" in data:
            member = services.group_member_set_role(member=member, actor=self.actor, role=data["role"])
        if "muted_until" in data:
            member = services.group_member_mute(member=member, actor=self.actor, until=data["muted_until"])
        return Response(MemberSerializer(member).data)

    @extend_schema(responses=MemberSerializer)
    def delete(self, request, group_id: int, customer_id: int):
        group = selectors.group_get(brand=self.brand, group_id=group_id, actor=self.actor)
        member = selectors.member_get(group=group, customer_id=customer_id)
        return Response(MemberSerializer(services.group_member_remove(member=member, actor=self.actor)).data)
