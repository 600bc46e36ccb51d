"""Quick replies: the brand's saved answers, filled in for one conversation in the rep inbox."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from privtraffic.tenancy.actors import Actor, actor_has, actor_role, authorize
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Brand, Membership
from privtraffic.tenancy.roles import Perm, Role

from ..models import MAX_BODY_LENGTH, Conversation, ConversationKind, QuickReply
from ..templating import template_check, template_render


def quick_reply_may_manage(actor: Actor) -> bool:
    """Who writes the brand's quick replies: whoever manages campaigns, and store managers. Reps use them."""
    return actor_has(actor, Perm.MANAGE_CAMPAIGNS) or (
        actor_role(actor) == Role.STORE_MANAGER and actor_has(actor, Perm.CHAT))


def _authorize_manage(actor: Actor, obj) -> None:
    authorize(actor, None, obj, what="quick reply")
    if not quick_reply_may_manage(actor):
        raise ApplicationError.forbidden(_("Your role does not allow managing quick replies."))


def quick_reply_save(*, brand: Brand, actor: Actor, title: str, body: str,
                     quick_reply: QuickReply | None = None) -> QuickReply:
    _authorize_manage(actor, quick_reply or brand)
    title, body = (title or "").strip(), (body or "").strip()
    errors = {}
    if not title:
        errors["title"] = [_("This field is required.")]
    if not body:
        errors["body"] = [_("This field is required.")]
    elif len(body) > MAX_BODY_LENGTH:
        errors["body"] = [_("At most 4,000 characters.")]
    if errors:
        raise ApplicationError("invalid", _("Some fields are not valid."), fields=errors)
    template_check(body)
    reply = quick_reply or QuickReply(brand=brand, created_by=actor.user if isinstance(actor, Membership) else None)
    reply.title, reply.body = title[:80], body
    try:
        with transaction.atomic():
            reply.save()
    except IntegrityError:
        message = _("A quick reply with this title already exists.")
        raise ApplicationError("duplicate", message, fields={"title": [message]}, status=409)
    return reply


def quick_reply_delete(*, quick_reply: QuickReply, actor: Actor) -> None:
    _authorize_manage(actor, quick_reply)
    quick_reply.delete()


def quick_reply_render(*, body: str, conversation: Conversation, membership: Membership) -> str:
    """Fill {first_name}, {rep_name} and {store_name} for this conversation."""
    template_check(body)
    customer = conversation.customer if conversation.kind == ConversationKind.DIRECT else None
    store = membership.store or (customer.home_store if customer else None)
    values = {
        "first_name": customer.first_name if customer else "",
        "rep_name": membership.user.display_name,
        "store_name": store.name if store else conversation.brand.name,
    }
    return template_render(body, values)
