"""/api/v1/products/: the brand's catalogue, synced by integrators (upsert by SKU, one or up to 1,000 at a time)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from privtraffic.tenancy.api import BrandAPIView
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.parsing import parse_input, query_bool

from . import selectors, services
from .serializers import (
    ProductBulkResultSerializer,
    ProductBulkSerializer,
    ProductInputSerializer,
    ProductSerializer,
)

SEARCH_MAX = 100


def _refuse_unknown(data) -> None:
    unknown = sorted(set(data) - set(ProductInputSerializer().fields)) if isinstance(data, dict) else []
    if unknown:
        raise ApplicationError("invalid", _("Some fields are not valid."),
                               fields={str(key)[:64]: [_("Unknown field.")] for key in unknown})


class ProductListApi(BrandAPIView):
    @extend_schema(parameters=[OpenApiParameter("search", str, description="Part of the name or the SKU."),
                               OpenApiParameter("active", bool)],
                   responses=ProductSerializer(many=True))
    def get(self, request):
        search = request.query_params.get("search", "")
        if len(search) > SEARCH_MAX:
            raise ApplicationError("invalid", _("search is too long."),
                                   fields={"search": [_("At most %(max)d characters.") % {"max": SEARCH_MAX}]})
        active = query_bool(request, "active", None)
        return self.paginate(selectors.product_list(self.brand, search=search, active=active), ProductSerializer)

    @extend_schema(request=ProductInputSerializer, responses={201: ProductSerializer, 200: ProductSerializer})
    def post(self, request):
        """Upsert by `sku`: 201 with the new product, or 200 with the updated (or unchanged) one."""
        _refuse_unknown(request.data)
        data = dict(parse_input(ProductInputSerializer, request.data))
        product, outcome = services.product_upsert(brand=self.brand, actor=self.actor, data=data)
        return Response(ProductSerializer(product).data,
                        status=status.HTTP_201_CREATED if outcome == "created" else status.HTTP_200_OK)


class ProductBulkApi(BrandAPIView):
    @extend_schema(request=ProductBulkSerializer, responses=ProductBulkResultSerializer)
    def post(self, request):
        """Upsert up to 1,000 products by `sku`, all or nothing.

        Every item is checked first; if any is invalid nothing is written and the answer is 400 with the
        problems as `fields["items.<index>.<field>"]`. Otherwise 200 with one result per item, in order:
        `{"index", "sku", "id", "status": "created"|"updated"|"unchanged"}`."""
        items = parse_input(ProductBulkSerializer, request.data)["items"]
        return Response({"results": services.product_upsert_bulk(brand=self.brand, actor=self.actor, items=items)})


class ProductDetailApi(BrandAPIView):
    @extend_schema(responses=ProductSerializer)
    def get(self, request, product_id: int):
        return Response(ProductSerializer(selectors.product_get(self.brand, product_id=product_id)).data)

    @extend_schema(request=ProductInputSerializer(partial=True), responses=ProductSerializer)
    def patch(self, request, product_id: int):
        product = selectors.product_get(self.brand, product_id=product_id)
        _refuse_unknown(request.data)
        data = dict(parse_input(ProductInputSerializer, request.data, partial=True))
        return Response(ProductSerializer(services.product_update(product=product, actor=self.actor, **data)).data)

    @extend_schema(responses=ProductSerializer)
    def delete(self, request, product_id: int):
        """Deactivate: the product leaves the card pickers; orders and sent cards that name it keep it."""
        product = selectors.product_get(self.brand, product_id=product_id)
        return Response(ProductSerializer(services.product_deactivate(product=product, actor=self.actor)).data)
