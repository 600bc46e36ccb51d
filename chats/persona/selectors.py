"""Reads of the brand persona."""

from privtraffic.accounts.models import User
from privtraffic.tenancy.models import Brand, Membership

from ..models import BrandPersona
from ..selectors import chat_identity_for_user


def persona_get(*, brand: Brand | int) -> BrandPersona | None:
    """The brand's persona, or None while it has none."""
    return BrandPersona.objects.filter(brand=brand).first()


def persona_with_avatar(*, user: User, persona_id: int) -> BrandPersona | None:
    """A persona with an avatar, for a signed-in customer or staff member of its brand (anyone else: None)."""
    identity = chat_identity_for_user(user=user)
    brand_ids = {m.brand_id for m in identity.memberships} | {c.brand_id for c in identity.customers}
    if not brand_ids:
        brand_ids = set(Membership.objects.filter(user=user, is_active=True).values_list("brand_id", flat=True))
    return BrandPersona.objects.filter(pk=persona_id, brand_id__in=brand_ids).exclude(avatar="").select_related("brand").first()
