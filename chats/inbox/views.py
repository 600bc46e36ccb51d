"""The rep inbox (/b/<slug>/inbox/): the conversation list, the live pane and the profile beside it.

Thin: every conversation comes from chats.selectors with the acting membership, so a rep sees only
their own customers' 1:1 chats and their store's groups; any other id (or another brand's) is a 404.
Writes go through the services (message_send, message_delete, group_member_mute/remove, quick_reply_save)
with actor=self.actor. The pane is server-rendered; static/js/chat.js makes it live. The quick replies
page (/b/<slug>/quick-replies/) lives here too: reps use the replies in the inbox.
"""

import json
from datetime import timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from communities.groups import selectors as community_selectors
from communities.groups import services as community_services
from communities.models import MemberRole
from crm.consent.selectors import Purpose, customer_reach
from crm.products import selectors as product_selectors
from crm.products.cards import product_card_payload
from crm.surveys import selectors as survey_selectors
from privtraffic.tenancy.dashboard import BrandView, form_errors
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.models import Membership
from privtraffic.tenancy.roles import Perm

from .. import selectors as chat_selectors
from ..attachments.services import attachment_send
from ..cards.pickers import card_choice, card_choices
from ..models import Conversation, ConversationKind, ConversationStatus
from ..persona.selectors import persona_get
from ..persona.services import persona_sender
from ..services import Sender, message_delete, message_send, survey_card_payload
from . import selectors
from .forms import (
    EMOJI,
    INBOX_FILTERS,
    MUTE_HOURS,
    STATUS_FILTERS,
    InboxActionForm,
    QuickReplyForm,
    snooze_until_for,
)
from .services import (
    conversation_assign,
    conversation_note_add,
    conversation_status_set,
    quick_reply_delete,
    quick_reply_may_manage,
    quick_reply_render,
    quick_reply_save,
)

LIST_LIMIT = 100


class InboxView(BrandView):
    """The conversation list on its own; InboxConversationView adds the open conversation."""

    permission = Perm.CHAT

    def get(self, request, conversation_id=None):
        conversation = self._conversation(conversation_id) if conversation_id else None
        return self._render(request, conversation)

    # --- reads --------------------------------------------------------------------------------

    def _identity(self) -> chat_selectors.ChatIdentity:
        return chat_selectors.ChatIdentity(user=self.request.user, memberships=[self.membership])

    def _conversation(self, conversation_id) -> Conversation:
        return chat_selectors.conversation_get(identity=self._identity(), conversation_id=conversation_id)

    def _list_params(self, request) -> tuple[str, str]:
        current = request.GET.get("filter", "all")
        return (current if current in INBOX_FILTERS else "all"), request.GET.get("q", "").strip()[:100]

    def _status_param(self, request) -> str:
        status = request.GET.get("status", "open")
        return status if status in STATUS_FILTERS else "open"

    def _conversations(self, current: str, q: str, status: str = "open") -> tuple[list[Conversation], bool]:
        return selectors.inbox_rows(brand=self.brand, membership=self.membership, filter=current, search=q,
                                    limit=LIST_LIMIT, status=status)

    def _render(self, request, conversation: Conversation | None, *, error: str = "", status: int = 200):
        current, q = self._list_params(request)
        status_filter = self._status_param(request)
        conversations, more = self._conversations(current, q, status_filter)
        query = request.GET.urlencode()
        context = {
            "conversations": conversations,
            "more": more,
            "status_filter": status_filter,
            "now": timezone.now(),
            "status_filters": _status_labels(),
            "filter": current,
            "filters": [(key, label) for key, label in _filter_labels() if key != "store" or self.membership.store_id],
            "q": q,
            "query": f"?{query}" if query else "",
            "conversation": conversation,
            "error": error,
        }
        if conversation is not None:
            context.update(self._pane_context(conversation))
        return render(request, "chats/inbox.html", context, status=status)

    def _pane_context(self, conversation: Conversation) -> dict:
        context = {
            "messages_": chat_selectors.message_tail(conversation=conversation),
            "me": f"user:{self.request.user.pk}",
            "reads_json": json.dumps(chat_selectors.read_states(conversation=conversation)),
            "is_group": conversation.kind == ConversationKind.GROUP,
            "can_post": not (conversation.kind == ConversationKind.GROUP and conversation.group.archived),
            "mute_durations": list(MUTE_HOURS),
            "quick_replies": _quick_replies(conversation, self.membership),
            "surveys": list(survey_selectors.survey_active_list(brand=self.brand)),
            "products": product_selectors.product_pick_list(self.brand),
            "coupon_choices": card_choices("coupon", brand_id=self.brand.pk),
            "persona": persona_get(brand=self.brand),
            "emoji": EMOJI,
            "notes": selectors.conversation_notes(brand=self.brand, conversation=conversation),
            "snoozed_now": (conversation.status == ConversationStatus.SNOOZED and conversation.snoozed_until
                            and conversation.snoozed_until > timezone.now()),
        }
        if conversation.kind == ConversationKind.GROUP:
            group = conversation.group
            context.update({
                "group": group,
                "moderators": list(community_selectors.member_list(group=group)
                                   .filter(role=MemberRole.MODERATOR).order_by("customer__name")),
                "staff": selectors.group_staff(brand=self.brand, conversation=conversation),
                "can_manage_groups": self.can(Perm.MANAGE_GROUPS),
            })
        else:
            customer = selectors.conversation_customer(brand=self.brand, conversation=conversation)
            context.update({
                "customer": customer,
                "promotion_reach": customer_reach(brand=self.brand, customer=customer, purpose=Purpose.PROMOTIONAL),
                "customer_groups": list(community_selectors.customer_groups(customer=customer)
                                        .order_by("group__name")),
                "handover_reps": selectors.handover_reps(brand=self.brand, membership=self.membership),
                **selectors.customer_panel(brand=self.brand, customer=customer),
            })
        return context


class InboxConversationView(InboxView):
    """One conversation: GET shows it; POST sends (no-JS composer), deletes, mutes or removes."""

    def post(self, request, conversation_id):
        conversation = self._conversation(conversation_id)
        form = InboxActionForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(request, conversation, error=_first_error(form), status=400)
        # A refusal is shown above the pane (not on the form); 403/404 go on to BrandView.
        with form_errors(form, apply=_shown_in_pane) as outcome:
            done = self._act(conversation, form.cleaned_data)
        if not outcome.ok:
            return self._render(request, conversation, error=outcome.error.message, status=outcome.error.status)
        if done:
            messages.success(request, done)
        return redirect(request.get_full_path())

    def _act(self, conversation: Conversation, data: dict) -> str:
        action = data["action"]
        if action in ("send", "attach"):
            sender = (persona_sender(brand=self.brand, membership=self.actor) if data["reply_as"] == "persona"
                      else Sender.of_staff(self.actor))
        if action == "attach":
            attachment_send(conversation=conversation, sender=sender, upload=data["attachment"], body=data["body"],
                            client_msg_id=data["client_msg_id"])
            return ""
        if action == "send":
            message_send(conversation=conversation, sender=sender, body=data["body"],
                         client_msg_id=data["client_msg_id"])
            return ""
        if action == "product":
            # A product of the catalogue (active, this brand's); a promotion in a 1:1 chat, as below.
            product = product_selectors.product_active_get(self.brand, product_id=data["product_id"])
            message_send(conversation=conversation, sender=Sender.of_staff(self.actor), kind=action,
                         body=data["body"], payload=product_card_payload(product=product),
                         client_msg_id=data["client_msg_id"])
            return _("Card sent.")
        if action == "coupon":  # the interactive card of one of the brand's active coupons (campaigns owns it)
            title = card_choice("coupon", brand_id=self.brand.pk, ref=data["coupon_ref"])
            if title is None:
                raise ApplicationError.not_found("coupon")
            message_send(conversation=conversation, sender=Sender.of_staff(self.actor), kind=action,
                         body=data["body"], payload={"title": data["coupon_title"].strip() or title,
                                                     "ref": data["coupon_ref"]},
                         client_msg_id=data["client_msg_id"])
            return _("Card sent.")
        if action == "survey":
            survey = survey_selectors.survey_get(brand=self.brand, survey_id=data["survey_id"])
            message_send(conversation=conversation, sender=Sender.of_staff(self.actor), kind=action,
                         body=data["body"], payload=survey_card_payload(survey=survey),
                         client_msg_id=data["client_msg_id"])
            return _("Survey sent.")
        if action in ("open", "resolve", "snooze"):
            return self._set_status(conversation, action, data)
        if action == "note":
            conversation_note_add(conversation=conversation, actor=self.actor, body=data["note_body"])
            return _("Note added. Only your team sees it.")
        if action == "assign":
            rep = selectors.handover_rep_get(brand=self.brand, rep_id=data["rep_id"])
            conversation_assign(conversation=conversation, actor=self.actor, rep=rep)
            return _("%(name)s is now looked after by %(rep)s.") % {"name": conversation.customer.name,
                                                                     "rep": rep.user.display_name}
        message = selectors.conversation_message_get(brand=self.brand, conversation=conversation,
                                                     message_id=data["message_id"])
        if action == "delete":
            message_delete(message=message, actor=self.actor)
            return _("The message was deleted.")
        if conversation.kind != ConversationKind.GROUP:
            raise ApplicationError("invalid", _("Muting and removing are for group chats."))
        if message.sender_customer_id is None:
            raise ApplicationError("invalid", _("Only customers can be muted or removed."))
        member = community_selectors.member_get(group=conversation.group, customer_id=message.sender_customer_id)
        name = member.customer.name
        if action == "mute":
            until = timezone.now() + timedelta(hours=MUTE_HOURS[data["duration"]])
            community_services.group_member_mute(member=member, actor=self.actor, until=until)
            return _("%(name)s is muted for %(duration)s.") % {"name": name, "duration": data["duration"]}
        community_services.group_member_remove(member=member, actor=self.actor)
        return _("%(name)s was removed from the group.") % {"name": name}


    def _set_status(self, conversation: Conversation, action: str, data: dict) -> str:
        if action == "snooze":
            until = snooze_until_for(data["snooze"], data.get("snooze_until"), self.brand.tzinfo)
            conversation_status_set(conversation=conversation, actor=self.actor, status=ConversationStatus.SNOOZED,
                                    snoozed_until=until)
            return _("Snoozed until %(when)s.") % {"when": date_format(timezone.localtime(until, self.brand.tzinfo),
                                                                      "M j, H:i")}
        status = ConversationStatus.RESOLVED if action == "resolve" else ConversationStatus.OPEN
        conversation_status_set(conversation=conversation, actor=self.actor, status=status)
        return _("Resolved.") if action == "resolve" else _("Reopened.")


def _status_labels():
    return [("open", _("Open")), ("snoozed", _("Snoozed")), ("resolved", _("Resolved")), ("all", _("All"))]


def _filter_labels():
    return [("all", _("All")), ("mine", _("Mine")), ("unassigned", _("Unassigned")), ("store", _("My store")),
            ("groups", _("Groups"))]


def _quick_replies(conversation: Conversation, membership: Membership) -> list[tuple[str, str]]:
    """The brand's quick replies with {first_name} and friends filled in for this conversation."""
    return [(reply.title, quick_reply_render(body=reply.body, conversation=conversation, membership=membership))
            for reply in selectors.quick_reply_list(brand=conversation.brand_id)]


def _shown_in_pane(form, exc: ApplicationError) -> None:
    """The inbox shows a refusal as the pane's error line, so nothing goes on the (hidden) form."""


def _first_error(form) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return _("Check the form and try again.")


class QuickReplyListView(BrandView):
    """The brand's quick replies: everyone who chats sees them; who may edit is the services' call."""

    permission = Perm.CHAT

    def get(self, request):
        return self._render(request, QuickReplyForm())

    def post(self, request):
        if request.POST.get("action") == "delete":
            reply = selectors.quick_reply_get(brand=self.brand, reply_id=request.POST.get("reply_id"))
            quick_reply_delete(quick_reply=reply, actor=self.actor)
            messages.success(request, _("Quick reply deleted."))
            return redirect("chats:quick_replies", slug=self.brand.slug)
        form = QuickReplyForm(request.POST)
        if form.is_valid():
            with form_errors(form) as outcome:
                quick_reply_save(brand=self.brand, actor=self.actor, **form.cleaned_data)
            if outcome.ok:
                messages.success(request, _("Quick reply saved."))
                return redirect("chats:quick_replies", slug=self.brand.slug)
        return self._render(request, form, status=400)

    def _render(self, request, form, status=200):
        return render(request, "chats/moderation/quick_replies.html",
                      {"replies": selectors.quick_reply_list(brand=self.brand), "form": form,
                       "can_edit": quick_reply_may_manage(self.actor)}, status=status)
