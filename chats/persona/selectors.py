"""Reads of the brand persona."""

from privtraffic.tenancy.models import Brand

from ..models import BrandPersona


def persona_get(*, brand: Brand | int) -> BrandPersona | None:
    """The brand's persona, or None while it has none."""
    return BrandPersona.objects.filter(brand=brand).first()


def persona_with_avatar(*, persona_id: int) -> BrandPersona | None:
    """A persona by id for its public avatar (an avatar is what every customer of the brand sees anyway)."""
    return BrandPersona.objects.filter(pk=persona_id).exclude(avatar="").first()
