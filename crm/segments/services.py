"""Writes of segments: save (create or update) and delete. A staff member needs MANAGE_CAMPAIGNS."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from privtraffic.tenancy.actors import Actor, actor_user_id, authorize
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.roles import Perm

from ..models import Segment
from .selectors import segment_definition_validate

MAX_NAME = 80


def _clean_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ApplicationError("invalid", _("A segment needs a name."), fields={"name": [_("This field is required.")]})
    name = name.strip()
    if len(name) > MAX_NAME:
        raise ApplicationError("invalid", _("The name is too long."),
                               fields={"name": [_("At most %(max)s characters.") % {"max": MAX_NAME}]})
    return name


def segment_save(*, brand: Brand, actor: Actor, name: Any, definition: Any, segment: Segment | None = None) -> Segment:
    """Create a segment, or update `segment` (of this brand). Name unique per brand (409 name_taken)."""
    authorize(actor, Perm.MANAGE_CAMPAIGNS, brand, what="segment")
    if segment is not None and segment.brand_id != brand.pk:
        raise ApplicationError.not_found("segment")
    name = _clean_name(name)
    definition = segment_definition_validate(brand=brand, definition=definition)
    if segment is None:
        segment = Segment(brand=brand, created_by_id=actor_user_id(actor))
    segment.name, segment.definition = name, definition
    try:
        with transaction.atomic():
            segment.save()
    except IntegrityError:
        raise ApplicationError("name_taken", _("A segment with this name already exists."),
                               fields={"name": [_("A segment with this name already exists.")]}, status=409)
    return segment


def segment_delete(*, segment: Segment, actor: Actor) -> None:
    authorize(actor, Perm.MANAGE_CAMPAIGNS, segment, what="segment")
    segment.delete()
