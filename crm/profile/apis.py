"""/api/v1/tags/, /api/v1/attributes/ and a customer's notes (/api/v1/customers/<id>/notes/)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from privtraffic.tenancy.api import BrandAPIView
from privtraffic.tenancy.parsing import parse_input

from ..customers.selectors import customer_get
from . import selectors, services
from .serializers import (
    AttributeDefinitionInputSerializer,
    AttributeDefinitionSerializer,
    CustomerNoteInputSerializer,
    CustomerNoteSerializer,
    TagInputSerializer,
    TagSerializer,
)


class TagListApi(BrandAPIView):
    @extend_schema(responses=TagSerializer(many=True))
    def get(self, request):
        return self.paginate(selectors.tag_list(brand=self.brand), TagSerializer)

    @extend_schema(request=TagInputSerializer, responses={201: TagSerializer})
    def post(self, request):
        data = parse_input(TagInputSerializer, request.data)
        tag = services.tag_create(brand=self.brand, actor=self.actor, **data)
        return Response(TagSerializer(tag).data, status=status.HTTP_201_CREATED)


class TagDetailApi(BrandAPIView):
    @extend_schema(request=TagInputSerializer, responses=TagSerializer)
    def patch(self, request, tag_id: int):
        tag = selectors.tag_get(brand=self.brand, tag_id=tag_id)
        data = parse_input(TagInputSerializer, request.data, partial=True)
        return Response(TagSerializer(services.tag_update(tag=tag, actor=self.actor, **data)).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, tag_id: int):
        """Delete the tag; customers carrying it lose it."""
        services.tag_delete(tag=selectors.tag_get(brand=self.brand, tag_id=tag_id), actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AttributeListApi(BrandAPIView):
    @extend_schema(responses=AttributeDefinitionSerializer(many=True))
    def get(self, request):
        return self.paginate(selectors.attribute_list(brand=self.brand), AttributeDefinitionSerializer)

    @extend_schema(request=AttributeDefinitionInputSerializer, responses={201: AttributeDefinitionSerializer})
    def post(self, request):
        """Define a customer attribute: key (slug), type text|number|date|choice, choices for choice."""
        data = parse_input(AttributeDefinitionInputSerializer, request.data)
        definition = services.attribute_define(brand=self.brand, actor=self.actor, **data)
        return Response(AttributeDefinitionSerializer(definition).data, status=status.HTTP_201_CREATED)


class CustomerNoteListApi(BrandAPIView):
    @extend_schema(responses=CustomerNoteSerializer(many=True))
    def get(self, request, customer_id: int):
        customer = customer_get(brand=self.brand, customer_id=customer_id, actor=self.actor)
        return self.paginate(selectors.customer_note_list(brand=self.brand, customer=customer), CustomerNoteSerializer)

    @extend_schema(request=CustomerNoteInputSerializer, responses={201: CustomerNoteSerializer})
    def post(self, request, customer_id: int):
        customer = customer_get(brand=self.brand, customer_id=customer_id, actor=self.actor)
        data = parse_input(CustomerNoteInputSerializer, request.data)
        note = services.customer_note_add(customer=customer, actor=self.actor, body=data["body"])
        return Response(CustomerNoteSerializer(note).data, status=status.HTTP_201_CREATED)
