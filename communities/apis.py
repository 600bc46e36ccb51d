"""/api/v1/groups/, members and invites. Parse, call one service or selector, serialize."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from crm.customers.selectors import customer_get
from privtraffic.tenancy.api import BrandAPIView
from privtraffic.tenancy.parsing import parse_input, query_int
from privtraffic.tenancy.selectors import rep_get, store_get

from . import selectors, services
from .serializers import (
    GroupInputSerializer,
    GroupSerializer,
    InviteCreateSerializer,
    InviteSerializer,
    MemberAddSerializer,
    MemberSerializer,
    MemberUpdateSerializer,
)


def _group_refs(brand, data: dict) -> dict:
    if data.get("store") is not None:
        data["store"] = store_get(brand=brand, store_id=data["store"])
    if data.get("overflow_group") is not None:
        data["overflow_group"] = selectors.group_get(brand=brand, group_id=data["overflow_group"])
    return data


class GroupListApi(BrandAPIView):
    @extend_schema(parameters=[OpenApiParameter("store", int), OpenApiParameter("archived", bool)],
                   responses=GroupSerializer(many=True))
    def get(self, request):
        groups = selectors.group_list(brand=self.brand, store_id=query_int(request, "store"),
                                      include_archived=request.query_params.get("archived") == "true")
        return self.paginate(groups, GroupSerializer)

    @extend_schema(request=GroupInputSerializer, responses={201: GroupSerializer})
    def post(self, request):
        data = _group_refs(self.brand, dict(parse_input(GroupInputSerializer, request.data)))
        group = services.group_create(brand=self.brand, actor=None, **data)
        return Response(GroupSerializer(group).data, status=status.HTTP_201_CREATED)


class GroupDetailApi(BrandAPIView):
    @extend_schema(responses=GroupSerializer)
    def get(self, request, group_id: int):
        return Response(GroupSerializer(selectors.group_get(brand=self.brand, group_id=group_id)).data)

    @extend_schema(request=GroupInputSerializer, responses=GroupSerializer)
    def patch(self, request, group_id: int):
        group = selectors.group_get(brand=self.brand, group_id=group_id)
        data = _group_refs(self.brand, dict(parse_input(GroupInputSerializer, request.data, partial=True)))
        return Response(GroupSerializer(services.group_update(group=group, actor=None, **data)).data)


class MemberListApi(BrandAPIView):
    @extend_schema(parameters=[OpenApiParameter("search", str)], responses=MemberSerializer(many=True))
    def get(self, request, group_id: int):
        group = selectors.group_get(brand=self.brand, group_id=group_id)
        return self.paginate(selectors.member_list(group=group, search=request.query_params.get("search", "")),
                             MemberSerializer)

    @extend_schema(request=MemberAddSerializer, responses={201: MemberSerializer, 200: MemberSerializer})
    def post(self, request, group_id: int):
        group = selectors.group_get(brand=self.brand, group_id=group_id)
        customer = customer_get(brand=self.brand, customer_id=parse_input(MemberAddSerializer, request.data)["customer"])
        already = group.memberships.filter(customer=customer, left_at__isnull=True).exists()
        member = services.group_member_add(group=group, customer=customer)
        return Response(MemberSerializer(member).data, status=status.HTTP_200_OK if already else status.HTTP_201_CREATED)


class MemberDetailApi(BrandAPIView):
    @extend_schema(responses=MemberSerializer)
    def get(self, request, group_id: int, customer_id: int):
        group = selectors.group_get(brand=self.brand, group_id=group_id)
        return Response(MemberSerializer(selectors.member_get(group=group, customer_id=customer_id)).data)

    @extend_schema(request=MemberUpdateSerializer, responses=MemberSerializer)
    def patch(self, request, group_id: int, customer_id: int):
        group = selectors.group_get(brand=self.brand, group_id=group_id)
        member = selectors.member_get(group=group, customer_id=customer_id)
        data = parse_input(MemberUpdateSerializer, request.data)
        if "role" in data:
            member = services.group_member_set_role(member=member, actor=None, role=data["role"])
        if "muted_until" in data:
            member = services.group_member_mute(member=member, actor=None, until=data["muted_until"])
        return Response(MemberSerializer(member).data)

    @extend_schema(responses=MemberSerializer)
    def delete(self, request, group_id: int, customer_id: int):
        group = selectors.group_get(brand=self.brand, group_id=group_id)
        member = selectors.member_get(group=group, customer_id=customer_id)
        return Response(MemberSerializer(services.group_member_remove(member=member, actor=None)).data)


class InviteListApi(BrandAPIView):
    @extend_schema(parameters=[OpenApiParameter("group", int), OpenApiParameter("rep", int)],
                   responses=InviteSerializer(many=True))
    def get(self, request):
        invites = selectors.invite_list(brand=self.brand, group_id=query_int(request, "group"),
                                        rep_id=query_int(request, "rep"))
        return self.paginate(invites, InviteSerializer, context={"request": request})

    @extend_schema(request=InviteCreateSerializer, responses={201: InviteSerializer})
    def post(self, request):
        data = dict(parse_input(InviteCreateSerializer, request.data))
        if "group" in data:
            data["group"] = selectors.group_get(brand=self.brand, group_id=data["group"])
        if "rep" in data:
            data["rep"] = rep_get(brand=self.brand, rep_id=data["rep"])
        if data.get("store") is not None:
            data["store"] = store_get(brand=self.brand, store_id=data["store"])
        invite = services.invite_link_create(brand=self.brand, actor=None, **data)
        return Response(InviteSerializer(invite, context={"request": request}).data, status=status.HTTP_201_CREATED)


class InviteDetailApi(BrandAPIView):
    @extend_schema(responses=InviteSerializer)
    def get(self, request, invite_id: int):
        invite = selectors.invite_get(brand=self.brand, invite_id=invite_id)
        return Response(InviteSerializer(invite, context={"request": request}).data)

    @extend_schema(responses=InviteSerializer)
    def delete(self, request, invite_id: int):
        invite = services.invite_link_revoke(invite=selectors.invite_get(brand=self.brand, invite_id=invite_id),
                                             actor=None)
        return Response(InviteSerializer(invite, context={"request": request}).data)
