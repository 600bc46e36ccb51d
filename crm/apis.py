"""/api/v1/customers/: CRUD, export and erase (personal data), reassignment and a rep's customer transfer."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import status
from rest_framework.response import Response

from privtraffic.tenancy.api import BrandAPIView
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.parsing import parse_input, query_int
from privtraffic.tenancy.selectors import rep_get, store_get

from . import privacy, reach, selectors, services
from .segments import selectors as segments
from .serializers import (
    AttributeDefinitionInputSerializer,
    AttributeDefinitionSerializer,
    CustomerInputSerializer,
    CustomerNoteInputSerializer,
    CustomerNoteSerializer,
    CustomerReassignSerializer,
    CustomerSerializer,
    ErasedCustomerSerializer,
    ReachSerializer,
    RepCustomersTransferResultSerializer,
    RepCustomersTransferSerializer,
    TagInputSerializer,
    TagSerializer,
)


def _resolve_refs(brand, data: dict) -> dict:
    """Turn store and rep ids into objects of this brand (other brands' ids are 404)."""
    if data.get("home_store") is not None:
        data["home_store"] = store_get(brand=brand, store_id=data["home_store"])
    if data.get("assigned_rep") is not None:
        data["assigned_rep"] = rep_get(brand=brand, rep_id=data["assigned_rep"])
    return data


class CustomerListApi(BrandAPIView):
    @extend_schema(parameters=[OpenApiParameter("search", str), OpenApiParameter("tag", str),
                               OpenApiParameter("segment", int)],
                   responses=CustomerSerializer(many=True))
    def get(self, request):
        customers = selectors.customer_list_by_tag(brand=self.brand, search=request.query_params.get("search", ""),
                                                   tag=request.query_params.get("tag", ""))
        if (segment_id := query_int(request, "segment")) is not None:
            customers = segments.customers_in_segment(brand=self.brand, segment_id=segment_id, within=customers)
        return self.paginate(customers, CustomerSerializer)

    @extend_schema(request=CustomerInputSerializer, responses={201: CustomerSerializer})
    def post(self, request):
        data = _resolve_refs(self.brand, dict(parse_input(CustomerInputSerializer, request.data)))
        customer = services.customer_save_with_profile(brand=self.brand, **data)
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
        customer = services.customer_save_with_profile(brand=self.brand, customer=customer, **data)
        return Response(CustomerSerializer(customer).data)


def _actor_label(request) -> str:
    return f"api_key:{request.auth.prefix}"


class CustomerExportApi(BrandAPIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, customer_id: int):
        """Everything held on this person (profile, consents, groups, messages, audit log), as JSON."""
        customer = selectors.customer_get(brand=self.brand, customer_id=customer_id)
        return Response(privacy.customer_export(customer=customer, actor_label=_actor_label(request)))


class CustomerEraseApi(BrandAPIView):
    @extend_schema(request=None, responses=ErasedCustomerSerializer)
    def post(self, request, customer_id: int):
        """Remove the person's data; the record stays as "Former member". Erasing twice changes nothing."""
        customer = selectors.customer_get(brand=self.brand, customer_id=customer_id)
        erased = privacy.customer_erase(customer=customer, actor_label=_actor_label(request))
        return Response(ErasedCustomerSerializer(erased).data)


class CustomerReachApi(BrandAPIView):
    @extend_schema(parameters=[OpenApiParameter("purpose", str, enum=["promotional", "transactional"])],
                   responses=ReachSerializer)
    def get(self, request, customer_id: int):
        """Whether the brand may message this customer now (consent, quiet hours, weekly budget), and if not, why."""
        customer = selectors.customer_get(brand=self.brand, customer_id=customer_id)
        purpose = request.query_params.get("purpose", reach.Purpose.PROMOTIONAL)
        if purpose not in (reach.Purpose.PROMOTIONAL, reach.Purpose.TRANSACTIONAL):
            raise ApplicationError("invalid", _("purpose must be promotional or transactional."),
                                   fields={"purpose": [_("Use promotional or transactional.")]})
        answer = reach.customer_reach(brand=self.brand, customer=customer, purpose=purpose)
        return Response(ReachSerializer(answer).data)


class CustomerReassignApi(BrandAPIView):
    @extend_schema(request=CustomerReassignSerializer, responses=CustomerSerializer)
    def post(self, request, customer_id: int):
        """Give the customer to another active rep; their 1:1 chat moves with its history."""
        customer = selectors.customer_get(brand=self.brand, customer_id=customer_id)
        data = parse_input(CustomerReassignSerializer, request.data)
        rep = rep_get(brand=self.brand, rep_id=data["rep"])
        customer = services.customer_reassign(customer=customer, rep=rep, actor=None, actor_label=_actor_label(request))
        return Response(CustomerSerializer(customer).data)


class RepCustomersTransferApi(BrandAPIView):
    @extend_schema(request=RepCustomersTransferSerializer, responses=RepCustomersTransferResultSerializer)
    def post(self, request, rep_id: int):
        """Move every customer of this rep (e.g. one who is leaving) to `to_rep`."""
        from_rep = rep_get(brand=self.brand, rep_id=rep_id)
        data = parse_input(RepCustomersTransferSerializer, request.data)
        to_rep = rep_get(brand=self.brand, rep_id=data["to_rep"])
        moved = services.rep_customers_transfer(from_rep=from_rep, to_rep=to_rep, actor=None,
                                                actor_label=_actor_label(request))
        return Response({"moved": moved})


# --- tags, attributes, notes --------------------------------------------------------------------


class TagListApi(BrandAPIView):
    @extend_schema(responses=TagSerializer(many=True))
    def get(self, request):
        return self.paginate(selectors.tag_list(brand=self.brand), TagSerializer)

    @extend_schema(request=TagInputSerializer, responses={201: TagSerializer})
    def post(self, request):
        data = parse_input(TagInputSerializer, request.data)
        tag = services.tag_create(brand=self.brand, **data)
        return Response(TagSerializer(tag).data, status=status.HTTP_201_CREATED)


class TagDetailApi(BrandAPIView):
    @extend_schema(request=TagInputSerializer, responses=TagSerializer)
    def patch(self, request, tag_id: int):
        tag = selectors.tag_get(brand=self.brand, tag_id=tag_id)
        data = parse_input(TagInputSerializer, request.data, partial=True)
        return Response(TagSerializer(services.tag_update(tag=tag, **data)).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, tag_id: int):
        """Delete the tag; customers carrying it lose it."""
        services.tag_delete(tag=selectors.tag_get(brand=self.brand, tag_id=tag_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AttributeListApi(BrandAPIView):
    @extend_schema(responses=AttributeDefinitionSerializer(many=True))
    def get(self, request):
        return self.paginate(selectors.attribute_list(brand=self.brand), AttributeDefinitionSerializer)

    @extend_schema(request=AttributeDefinitionInputSerializer, responses={201: AttributeDefinitionSerializer})
    def post(self, request):
        """Define a customer attribute: key (slug), type text|number|date|choice, choices for choice."""
        data = parse_input(AttributeDefinitionInputSerializer, request.data)
        definition = services.attribute_define(brand=self.brand, **data)
        return Response(AttributeDefinitionSerializer(definition).data, status=status.HTTP_201_CREATED)


class CustomerNoteListApi(BrandAPIView):
    @extend_schema(responses=CustomerNoteSerializer(many=True))
    def get(self, request, customer_id: int):
        customer = selectors.customer_get(brand=self.brand, customer_id=customer_id)
        return self.paginate(selectors.customer_note_list(brand=self.brand, customer=customer), CustomerNoteSerializer)

    @extend_schema(request=CustomerNoteInputSerializer, responses={201: CustomerNoteSerializer})
    def post(self, request, customer_id: int):
        customer = selectors.customer_get(brand=self.brand, customer_id=customer_id)
        data = parse_input(CustomerNoteInputSerializer, request.data)
        note = services.customer_note_add(customer=customer, author=None, body=data["body"])
        return Response(CustomerNoteSerializer(note).data, status=status.HTTP_201_CREATED)
