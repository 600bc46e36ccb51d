"""/api/v1/customers/: list, create, read and update customers; reassignment and a rep's customer transfer."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from privtraffic.tenancy.api import BrandAPIView
from privtraffic.tenancy.parsing import parse_input, query_int
from privtraffic.tenancy.selectors import rep_get, store_get

from ..profile.services import customer_save_with_profile
from ..segments import selectors as segments
from . import selectors, services
from .bulk import customer_bulk_upsert
from .serializers import (
    CustomerBulkResultSerializer,
    CustomerBulkSerializer,
    CustomerInputSerializer,
    CustomerReassignSerializer,
    CustomerSerializer,
    RepCustomersTransferResultSerializer,
    RepCustomersTransferSerializer,
)


def _resolve_refs(brand, actor, data: dict) -> dict:
    """Turn store and rep ids into objects of this brand (other brands' ids are 404)."""
    if data.get("home_store") is not None:
        data["home_store"] = store_get(brand=brand, store_id=data["home_store"])
    if data.get("assigned_rep") is not None:
        data["assigned_rep"] = rep_get(brand=brand, rep_id=data["assigned_rep"], actor=actor)
    return data


class CustomerListApi(BrandAPIView):
    @extend_schema(parameters=[OpenApiParameter("search", str), OpenApiParameter("tag", str),
                               OpenApiParameter("segment", int)],
                   responses=CustomerSerializer(many=True))
    def get(self, request):
        customers = segments.customer_list_filtered(
            brand=self.brand, actor=self.actor, search=request.query_params.get("search", ""),
            tag=request.query_params.get("tag", ""), segment_id=query_int(request, "segment"))
        return self.paginate(customers, CustomerSerializer)

    @extend_schema(request=CustomerInputSerializer, responses={201: CustomerSerializer})
    def post(self, request):
        data = _resolve_refs(self.brand, self.actor, dict(parse_input(CustomerInputSerializer, request.data)))
        customer = customer_save_with_profile(brand=self.brand, actor=self.actor, **data)
        return Response(CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)


class CustomerBulkApi(BrandAPIView):
    @extend_schema(request=CustomerBulkSerializer, responses=CustomerBulkResultSerializer)
    def post(self, request):
        """Create or update up to 1,000 customers, each matched by `external_id`, else `email`, else `phone`.

        Atomic per item: an item with errors is not written, the others are. Answers 200 with one result per
        item, in order: `{"index", "status": "created"|"updated"|"error", "id", "errors"}`."""
        items = parse_input(CustomerBulkSerializer, request.data)["items"]
        parsed, item_errors = [], {}
        for index, raw in enumerate(items):
            serializer = CustomerInputSerializer(data=raw, partial=True)
            unknown = sorted(set(raw) - set(serializer.fields)) if isinstance(raw, dict) else []
            if serializer.is_valid() and not unknown:
                parsed.append(dict(serializer.validated_data))
            else:
                parsed.append({})
                item_errors[index] = {**_flatten(serializer.errors),
                                      **{str(key): [_("Unknown field.")] for key in unknown}}
        results = customer_bulk_upsert(brand=self.brand, actor=self.actor, items=parsed, item_errors=item_errors)
        return Response({"results": results})


def _flatten(errors, prefix: str = "") -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    for key, value in errors.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return flat


class CustomerDetailApi(BrandAPIView):
    @extend_schema(responses=CustomerSerializer)
    def get(self, request, customer_id: int):
        customer = selectors.customer_get(brand=self.brand, customer_id=customer_id, actor=self.actor)
        return Response(CustomerSerializer(customer).data)

    @extend_schema(request=CustomerInputSerializer, responses=CustomerSerializer)
    def patch(self, request, customer_id: int):
        customer = selectors.customer_get(brand=self.brand, customer_id=customer_id, actor=self.actor)
        data = _resolve_refs(self.brand, self.actor, dict(parse_input(CustomerInputSerializer, request.data, partial=True)))
        data.pop("source", None)
        customer = customer_save_with_profile(brand=self.brand, actor=self.actor, customer=customer, **data)
        return Response(CustomerSerializer(customer).data)


class CustomerReassignApi(BrandAPIView):
    @extend_schema(request=CustomerReassignSerializer, responses=CustomerSerializer)
    def post(self, request, customer_id: int):
        """Give the customer to another active rep; their 1:1 chat moves with its history."""
        customer = selectors.customer_get(brand=self.brand, customer_id=customer_id, actor=self.actor)
        data = parse_input(CustomerReassignSerializer, request.data)
        rep = rep_get(brand=self.brand, rep_id=data["rep"], actor=self.actor)
        customer = services.customer_reassign(customer=customer, rep=rep, actor=self.actor)
        return Response(CustomerSerializer(customer).data)


class RepCustomersTransferApi(BrandAPIView):
    @extend_schema(request=RepCustomersTransferSerializer, responses=RepCustomersTransferResultSerializer)
    def post(self, request, rep_id: int):
        """Move every customer of this rep (e.g. one who is leaving) to `to_rep`."""
        from_rep = rep_get(brand=self.brand, rep_id=rep_id, actor=self.actor)
        data = parse_input(RepCustomersTransferSerializer, request.data)
        to_rep = rep_get(brand=self.brand, rep_id=data["to_rep"], actor=self.actor)
        moved = services.rep_customers_transfer(from_rep=from_rep, to_rep=to_rep, actor=self.actor)
        return Response({"moved": moved})
