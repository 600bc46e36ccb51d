"""Writes of the brand persona: its name, short bio and avatar."""

import uuid

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from privtraffic.tenancy.actors import Actor, actor_has, authorize
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand
from privtraffic.tenancy.parsing import bad_text, bad_text_error
from privtraffic.tenancy.roles import Perm

from ..models import BrandPersona
from ..services import Sender
from ..uploads import upload_check

NAME_MAX = 60
BIO_MAX = 200


def persona_may_manage(actor: Actor) -> bool:
    """Who sets the brand's voice: whoever manages campaigns or the brand's settings."""
    return actor_has(actor, Perm.MANAGE_CAMPAIGNS) or actor_has(actor, Perm.MANAGE_SETTINGS)


def persona_save(*, brand: Brand, actor: Actor, name: str, bio: str = "", avatar=None,
                 remove_avatar: bool = False) -> BrandPersona:
    """Create or update the brand's one persona. `avatar` is an uploaded image (PNG, JPEG, GIF or WebP)."""
    authorize(actor, None, brand, what="brand")
    if not persona_may_manage(actor):
        raise ApplicationError.forbidden(_("Your role does not allow changing the brand persona."))
    name, bio = str(name or "").strip(), str(bio or "").strip()
    for where, value in (("name", name), ("bio", bio)):
        if bad_text(value):
            raise bad_text_error(where)
    errors = {}
    if not name:
        errors["name"] = [_("This field is required.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("At most %(n)d characters.") % {"n": NAME_MAX}]
    if len(bio) > BIO_MAX:
        errors["bio"] = [_("At most %(n)d characters.") % {"n": BIO_MAX}]
    if errors:
        raise ApplicationError("invalid", _("Some fields are not valid."), fields=errors)
    checked = upload_check(avatar, field="avatar", images_only=True) if avatar is not None else None
    with transaction.atomic():
        persona = BrandPersona.objects.select_for_update().filter(brand=brand).first() or BrandPersona(brand=brand)
        persona.name, persona.bio = name, bio
        old_avatar = persona.avatar.name if persona.avatar else ""
        if checked is not None:
            avatar.seek(0)
            persona.avatar.save(f"{brand.pk}-{uuid.uuid4().hex}.{checked.extension}", ContentFile(avatar.read()),
                                save=False)
        elif remove_avatar:
            persona.avatar = ""
        persona.save()
    if old_avatar and old_avatar != (persona.avatar.name if persona.avatar else ""):
        storage = persona.avatar.storage
        transaction.on_commit(lambda: storage.delete(old_avatar))
    return persona


def persona_sender(*, brand: Brand, membership) -> Sender:
    """A staff member replying as the brand persona (they stay on record as the real sender)."""
    persona = BrandPersona.objects.filter(brand=brand).first()
    if persona is None:
        raise ApplicationError("no_persona", _("The brand has no persona yet: set one up under Brand persona."),
                               status=409)
    return Sender.of_persona(persona, membership)
