"""/api/v1/persona/: the brand persona (name, bio, avatar URL). PATCH sets the name and bio; the avatar is set on
the dashboard page."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from privtraffic.tenancy.api import BrandAPIView
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.parsing import parse_input

from ..serialization import persona_to_dict
from ..serializers import PersonaRefSerializer
from .selectors import persona_get
from .services import BIO_MAX, NAME_MAX, persona_save


class PersonaUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=NAME_MAX)
    bio = serializers.CharField(max_length=BIO_MAX, allow_blank=True, required=False, default="")


class PersonaApi(BrandAPIView):
    @extend_schema(responses=PersonaRefSerializer)
    def get(self, request):
        """The brand persona; 404 while the brand has none."""
        persona = persona_get(brand=self.brand)
        if persona is None:
            raise ApplicationError.not_found("persona")
        return Response(persona_to_dict(persona))

    @extend_schema(request=PersonaUpdateSerializer, responses=PersonaRefSerializer)
    def patch(self, request):
        """Create or rename the persona (`name` required, `bio` optional); the avatar stays as it is."""
        data = parse_input(PersonaUpdateSerializer, request.data)
        return Response(persona_to_dict(persona_save(brand=self.brand, actor=self.actor, **data)))
