"""/api/v1/customers/: basic CRUD (the CRM issue adds tags, attributes, import, export and erase)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from privtraffic.tenancy.api import BrandAPIView
from privtraffic.tenancy.parsing import parse_input
from privtraffic.tenancy.selectors import rep_get, store_get

from . import selectors, services
from .serializers import CustomerInputSerializer, CustomerSerializer


def _resolve_refs(brand, data: dict) -> dict:
    """Turn store and rep ids into objects of this brand (other brands' ids are 404)."""
    if data.get("home_store") is not None:
        data["home_store"] = store_get(brand=brand, store_id=data["home_store"])
    if data.get("assigned_rep") is not None:
        data["assigned_rep"] = rep_get(brand=brand, rep_id=data["assigned_rep"])
    return data


class CustomerListApi(BrandAPIView):
    @extend_schema(parameters=[OpenApiParameter("search", str)], responses=CustomerSerializer(many=True))
    def get(self, request):
        customers = selectors.customer_list(brand=self.brand, search=request.query_params.get("search", ""))
        return self.paginate(customers, CustomerSerializer)

    @extend_schema(request=CustomerInputSerializer, responses={201: CustomerSerializer})
    def post(self, request):
        data = _resolve_refs(self.brand, dict(parse_input(CustomerInputSerializer, request.data)))
        customer = services.customer_create(brand=self.brand, **data)
        return Response(CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)


class CustomerDetailApi(BrandAPIView):
    @extend_schema(responses=CustomerSerializer)
    def get(self, request, customer_id: int):
        return Response(CustomerSerializer(selectors.customer_get(brand=self.brand, customer_id=customer_id)).data)

    @extend_schema(request=CustomerInputSerializer, responses=CustomerSerializer)
    def patch(self, request, customer_id: int):
        customer = selectors.customer_get(brand=self.brand, customer_id=customer_id)
        data = _resolve_refs(self.brand, dict(parse_input(CustomerInputSerializer, request.data, partial=True)))
        data.pop("source", None)
        return Response(CustomerSerializer(services.customer_update(customer=customer, **data)).data)
