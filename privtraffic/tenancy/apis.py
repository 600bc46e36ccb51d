"""/api/v1/stores/ and /api/v1/reps/. Parse, call one service or selector, serialize."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from . import selectors, services
from .api import BrandAPIView
from .parsing import parse_input, query_int
from .roles import Role
from .serializers import (
    RepCreateSerializer,
    RepSerializer,
    RepUpdateSerializer,
    StoreInputSerializer,
    StoreSerializer,
)


class StoreListApi(BrandAPIView):
    @extend_schema(responses=StoreSerializer(many=True))
    def get(self, request):
        return self.paginate(selectors.store_list(brand=self.brand), StoreSerializer)

    @extend_schema(request=StoreInputSerializer, responses={201: StoreSerializer})
    def post(self, request):
        store = services.store_create(brand=self.brand, actor=self.actor, **parse_input(StoreInputSerializer, request.data))
        return Response(StoreSerializer(store).data, status=status.HTTP_201_CREATED)


class StoreDetailApi(BrandAPIView):
    @extend_schema(responses=StoreSerializer)
    def get(self, request, store_id: int):
        return Response(StoreSerializer(selectors.store_get(brand=self.brand, store_id=store_id)).data)

    @extend_schema(request=StoreInputSerializer, responses=StoreSerializer)
    def patch(self, request, store_id: int):
        store = selectors.store_get(brand=self.brand, store_id=store_id)
        changes = parse_input(StoreInputSerializer, request.data, partial=True)
        return Response(StoreSerializer(services.store_update(store=store, actor=self.actor, **changes)).data)


class RepListApi(BrandAPIView):
    @extend_schema(responses=RepSerializer(many=True))
    def get(self, request):
        store_id = query_int(request, "store")
        if store_id is not None:
            store_id = selectors.store_get(brand=self.brand, store_id=store_id).pk
        return self.paginate(selectors.rep_list(brand=self.brand, actor=self.actor, store_id=store_id), RepSerializer)

    @extend_schema(request=RepCreateSerializer, responses={201: RepSerializer})
    def post(self, request):
        data = parse_input(RepCreateSerializer, request.data)
        store = selectors.store_get(brand=self.brand, store_id=data["store"])
        rep = services.member_invite(
            brand=self.brand, actor=self.actor, email=data["email"], name=data["name"], role=Role.REP, store=store
        )
        return Response(RepSerializer(rep).data, status=status.HTTP_201_CREATED)


class RepDetailApi(BrandAPIView):
    @extend_schema(responses=RepSerializer)
    def get(self, request, rep_id: int):
        return Response(RepSerializer(selectors.rep_get(brand=self.brand, rep_id=rep_id, actor=self.actor)).data)

    @extend_schema(request=RepUpdateSerializer, responses=RepSerializer)
    def patch(self, request, rep_id: int):
        rep = selectors.rep_get(brand=self.brand, rep_id=rep_id, actor=self.actor)
        data = parse_input(RepUpdateSerializer, request.data)
        if "store" in data:
            store = selectors.store_get(brand=self.brand, store_id=data["store"])
            rep = services.member_update(membership=rep, actor=self.actor, role=Role.REP, store=store)
        if "is_active" in data:
            rep = services.member_set_active(membership=rep, actor=self.actor, active=data["is_active"])
        return Response(RepSerializer(rep).data)
