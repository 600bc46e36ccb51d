"""/api/v1/customers/<id>/export/ and /erase/: a person's data, downloaded or removed."""

from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework.response import Response

from privtraffic.tenancy.api import BrandAPIView

from ..customers.selectors import customer_get
from . import services
from .serializers import ErasedCustomerSerializer


class CustomerExportApi(BrandAPIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, customer_id: int):
        """Everything held on this person (profile, consents, groups, messages, audit log), as JSON."""
        customer = customer_get(brand=self.brand, customer_id=customer_id, actor=self.actor)
        return Response(services.customer_export(customer=customer, actor=self.actor))


class CustomerEraseApi(BrandAPIView):
    @extend_schema(request=None, responses=ErasedCustomerSerializer)
    def post(self, request, customer_id: int):
        """Remove the person's data; the record stays as "Former member". Erasing twice changes nothing."""
        customer = customer_get(brand=self.brand, customer_id=customer_id, actor=self.actor)
        erased = services.customer_erase(customer=customer, actor=self.actor)
        return Response(ErasedCustomerSerializer(erased).data)
