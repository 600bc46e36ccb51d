"""/api/v1/coupons/: create, read, change and end coupons; `coupons/redeem/` uses a code at the shop or till.

Every write goes through campaigns.coupons.services. A redemption's refusals are `coupon_not_found` (404),
`coupon_expired`, `coupon_not_yet_valid`, `coupon_exhausted`, `already_redeemed` (409) and `minimum_not_met`
(400); another brand's coupon, customer or order is 404.
"""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from crm.customers.selectors import customer_get
from crm.orders.selectors import order_get
from privtraffic.tenancy.api import BrandAPIView
from privtraffic.tenancy.parsing import parse_input, query_choice

from . import selectors, services
from .serializers import (
    CouponInputSerializer,
    CouponSerializer,
    RedeemInputSerializer,
    RedemptionSerializer,
    service_fields,
)


class _CouponApi(BrandAPIView):
    def _parse(self, serializer_class, **kwargs) -> dict:
        with timezone.override(self.brand.tzinfo):  # a time without an offset is the brand's wall clock
            return dict(parse_input(serializer_class, self.request.data, **kwargs))

    def _answer(self, data, status_code=status.HTTP_200_OK) -> Response:
        with timezone.override(self.brand.tzinfo):
            return Response(data, status=status_code)


class CouponListApi(_CouponApi):
    @extend_schema(parameters=[OpenApiParameter("status", str, enum=list(selectors.STATUSES))],
                   responses=CouponSerializer(many=True))
    def get(self, request):
        coupons = selectors.coupon_list(brand=self.brand, status=query_choice(request, "status", selectors.STATUSES))
        with timezone.override(self.brand.tzinfo):
            return self.paginate(coupons, CouponSerializer)

    @extend_schema(request=CouponInputSerializer, responses={201: CouponSerializer})
    def post(self, request):
        """Create a coupon: a shared `code`, or `personal_codes` (a unique code per customer)."""
        data = service_fields(self._parse(CouponInputSerializer))
        coupon = services.coupon_create(brand=self.brand, actor=self.actor, **data)
        return self._answer(CouponSerializer(coupon).data, status.HTTP_201_CREATED)


class CouponDetailApi(_CouponApi):
    def _coupon(self, coupon_id):
        return selectors.coupon_get(brand=self.brand, coupon_id=coupon_id)

    @extend_schema(responses=CouponSerializer)
    def get(self, request, coupon_id: int):
        return self._answer(CouponSerializer(self._coupon(coupon_id)).data)

    @extend_schema(request=CouponInputSerializer(partial=True), responses=CouponSerializer)
    def patch(self, request, coupon_id: int):
        """Change a coupon; its code is fixed once customers hold it (`coupon_in_use`)."""
        coupon = self._coupon(coupon_id)
        data = service_fields(self._parse(CouponInputSerializer, partial=True))
        return self._answer(CouponSerializer(services.coupon_update(coupon=coupon, actor=self.actor, **data)).data)

    @extend_schema(request=None, responses=CouponSerializer)
    def delete(self, request, coupon_id: int):
        """Deactivate: nobody claims or redeems it any more; its claims and redemptions stay on record."""
        coupon = services.coupon_deactivate(coupon=self._coupon(coupon_id), actor=self.actor)
        return self._answer(CouponSerializer(coupon).data)


class CouponRedeemApi(_CouponApi):
    schema_extra_errors = {"post": (404, 409)}

    @extend_schema(request=RedeemInputSerializer, responses={201: RedemptionSerializer})
    def post(self, request):
        """Use a code for a customer (optionally against their order), atomically: 201 with the redemption, or
        `coupon_not_found` (404), `coupon_expired`, `coupon_not_yet_valid`, `coupon_exhausted`,
        `already_redeemed` (409), `minimum_not_met` (400)."""
        data = self._parse(RedeemInputSerializer)
        customer = customer_get(brand=self.brand, customer_id=data["customer"], actor=self.actor)
        order = order_get(brand=self.brand, order_id=data["order"]) if data.get("order") else None
        redemption = services.coupon_redeem(actor=self.actor, code=data["code"], customer=customer, order=order)
        return self._answer(RedemptionSerializer(redemption).data, status.HTTP_201_CREATED)
