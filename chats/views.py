"""The customer's chat pages (/chat/): phone-first, server-rendered; the socket adds live updates."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from communities.groups.services import group_member_leave
from privtraffic.tenancy.errors import ApplicationError

from . import selectors
from .services import Sender, conversation_for_customer, conversation_for_group, message_send


@login_required
def customer_home(request):
    """Every chat of this person across brands, most recent first, with unread counts."""
    identity = selectors.chat_identity_for_user(user=request.user)
    # A rep chat is listed once a rep is assigned, even before its first message.
    for customer in identity.customers:
        if customer.assigned_rep_id:
            conversation_for_customer(customer=customer)
    return render(request, "chats/customer_home.html",
                  {"conversations": selectors.customer_conversations(identity=identity)})


class _CustomerConversationView(View):
    template = "chats/customer_conversation.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        try:
            return super().dispatch(request, *args, **kwargs)
        except ApplicationError as exc:
            if exc.status == 404:
                raise Http404(exc.message)
            raise

    def resolve(self, request, **kwargs):
        raise NotImplementedError

    def get(self, request, **kwargs):
        conversation, sender, extra = self.resolve(request, **kwargs)
        return self._render(request, conversation, extra)

    def post(self, request, **kwargs):
        conversation, sender, extra = self.resolve(request, **kwargs)
        try:
            message_send(conversation=conversation, sender=sender, body=request.POST.get("body", ""),
                         client_msg_id=request.POST.get("client_msg_id", ""))
        except ApplicationError as exc:
            if exc.status == 404:
                raise
            return self._render(request, conversation, {**extra, "error": exc.message}, status=exc.status)
        return redirect(request.path)

    def _render(self, request, conversation, extra, status=200):
        context = {
            "conversation": conversation,
            "messages_": selectors.message_tail(conversation=conversation),
            "me": extra["sender"].key,
            "reads_json": json.dumps(selectors.read_states(conversation=conversation)),
            **extra,
        }
        return render(request, self.template, context, status=status)


class CustomerGroupView(_CustomerConversationView):
    def resolve(self, request, group_id):
        member = selectors.customer_group_membership(user=request.user, group_id=group_id)
        conversation = conversation_for_group(group=member.group)
        sender = Sender.of_customer(member.customer)
        return conversation, sender, {"member": member, "group": member.group, "brand": member.group.brand,
                                      "sender": sender}


class CustomerDirectView(_CustomerConversationView):
    def resolve(self, request, customer_id):
        customer = selectors.customer_of_user(user=request.user, customer_id=customer_id)
        conversation = conversation_for_customer(customer=customer)
        sender = Sender.of_customer(customer)
        return conversation, sender, {"customer": customer, "brand": customer.brand, "rep": customer.assigned_rep,
                                      "sender": sender}


@login_required
def customer_group_leave(request, group_id):
    if request.method != "POST":
        return redirect("chats:customer_group", group_id=group_id)
    try:
        member = selectors.customer_group_membership(user=request.user, group_id=group_id)
    except ApplicationError:
        raise Http404
    group_member_leave(member=member)
    messages.success(request, _("You left %(group)s.") % {"group": member.group.name})
    return redirect("chats:customer_home")


@login_required
def customer_message_report(request, message_id):
    """A customer flags a message in one of their conversations for the moderators."""
    if request.method != "POST":
        raise Http404
    from .models import Message
    from .moderation import message_report

    identity = selectors.chat_identity_for_user(user=request.user)
    visible = selectors.conversation_list(identity=identity).values("pk")
    message = Message.objects.filter(pk=message_id, conversation_id__in=visible).select_related("conversation").first()
    customer = identity.customer_in(message.brand_id) if message else None
    if message is None or customer is None:
        raise Http404
    try:
        message_report(message=message, reporter=customer, reason=request.POST.get("reason", ""))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Thanks. The moderators will take a look."))
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("chats:customer_home")
    return redirect(next_url)
