"""/api/v1/customers/<id>/reach/: whether the brand may message the customer now, and if not, why."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from privtraffic.tenancy.api import BrandAPIView
from privtraffic.tenancy.parsing import query_choice

from ..customers.selectors import customer_get
from . import selectors
from .serializers import ReachSerializer


class CustomerReachApi(BrandAPIView):
    @extend_schema(parameters=[OpenApiParameter("purpose", str, enum=["promotional", "transactional"])],
                   responses=ReachSerializer)
    def get(self, request, customer_id: int):
        """Whether the brand may message this customer now (consent, quiet hours, weekly budget), and if not, why."""
        customer = customer_get(brand=self.brand, customer_id=customer_id, actor=self.actor)
        purpose = query_choice(request, "purpose", (selectors.Purpose.PROMOTIONAL, selectors.Purpose.TRANSACTIONAL)) or selectors.Purpose.PROMOTIONAL
        answer = selectors.customer_reach(brand=self.brand, customer=customer, purpose=purpose)
        return Response(ReachSerializer(answer).data)
