"""/api/v1/orders/: integrators sync their shop's orders; each one keeps the customer's figures current."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from privtraffic.tenancy.api import BrandAPIView
from privtraffic.tenancy.parsing import parse_input, query_choice, query_int

from ..customers.selectors import customer_get
from ..models import OrderStatus
from . import selectors, services
from .serializers import OrderInputSerializer, OrderSerializer, OrderUpdateSerializer


class OrderListApi(BrandAPIView):
    @extend_schema(parameters=[OpenApiParameter("customer", int), OpenApiParameter("status", str, enum=OrderStatus.values)],
                   responses=OrderSerializer(many=True))
    def get(self, request):
        return self.paginate(selectors.order_list(brand=self.brand, customer_id=query_int(request, "customer"),
                                               status=query_choice(request, "status", OrderStatus.values)),
                             OrderSerializer)

    @extend_schema(request=OrderInputSerializer, responses={201: OrderSerializer})
    def post(self, request):
        """Create an order; `external_id` is unique per brand (a second POST with it is 409 `duplicate`).

        The order is attributed to the customer's assigned rep and home store at this moment (`rep`, `store`)."""
        data = dict(parse_input(OrderInputSerializer, request.data))
        data["customer"] = customer_get(brand=self.brand, customer_id=data["customer"], actor=self.actor)
        data["items"] = [dict(item) for item in data.get("items", [])]
        order = services.order_create(brand=self.brand, actor=self.actor, **data)
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)


class OrderDetailApi(BrandAPIView):
    @extend_schema(responses=OrderSerializer)
    def get(self, request, order_id: int):
        return Response(OrderSerializer(selectors.order_get(brand=self.brand, order_id=order_id)).data)

    @extend_schema(request=OrderUpdateSerializer, responses=OrderSerializer)
    def patch(self, request, order_id: int):
        """Move the order along placed → paid → shipped → delivered (or cancelled / refunded).

        A move the current status does not allow is 409 `invalid_transition` naming the allowed moves; a shipped
        order needs a `tracking_number` or a `carrier` (400 `tracking_required`). Each change records one
        `order.updated` event, and each new status puts one order card in the customer's 1:1 chat."""
        order = selectors.order_get(brand=self.brand, order_id=order_id)
        data = parse_input(OrderUpdateSerializer, request.data)
        return Response(OrderSerializer(services.order_update(order=order, actor=self.actor, **data)).data)
