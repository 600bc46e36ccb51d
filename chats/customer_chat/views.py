"""The customer's chat pages (/chat/): phone-first, server-rendered; the socket adds live updates.

Every page is a CustomerPageView: `resolve()` finds, once, the person's customer record and brand (a
group they are in, their own 1:1 chat, a message they can see); anything else is a 404.
"""

import json

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from communities.groups.services import group_member_leave
from privtraffic.tenancy.customer_pages import CustomerPageView, CustomerScope
from privtraffic.tenancy.dashboard import flash_errors
from privtraffic.tenancy.errors import ApplicationError

from .. import selectors as chat_selectors
from ..attachments.services import attachment_send
from ..moderation.services import message_report
from ..services import Sender, conversation_for_customer, conversation_for_group, message_send
from . import selectors


class CustomerHomeView(CustomerPageView):
    """Every chat of this person across brands, most recent first, with unread counts."""

    def resolve(self, request, **kwargs) -> CustomerScope:
        return CustomerScope(extra={"identity": chat_selectors.chat_identity_for_user(user=request.user)})

    def get(self, request):
        identity = self.scope.extra["identity"]
        # A rep chat is listed once a rep is assigned, even before its first message.
        for customer in identity.customers:
            if customer.assigned_rep_id:
                conversation_for_customer(customer=customer)
        return render(request, "chats/customer_home.html",
                      {"conversations": selectors.customer_conversations(identity=identity)})


class _CustomerConversationView(CustomerPageView):
    """One conversation of the customer's: GET shows it, POST sends (the no-JS composer)."""

    template = "chats/customer_conversation.html"

    def get(self, request, **kwargs):
        return self._render(request)

    def post(self, request, **kwargs):
        conversation, sender = self.scope.extra["conversation"], self.scope.extra["sender"]
        upload = request.FILES.get("attachment")
        try:
            if upload is not None:
                attachment_send(conversation=conversation, sender=sender, upload=upload,
                                body=request.POST.get("body", ""), client_msg_id=request.POST.get("client_msg_id", ""))
            else:
                message_send(conversation=conversation, sender=sender, body=request.POST.get("body", ""),
                             client_msg_id=request.POST.get("client_msg_id", ""))
        except ApplicationError as exc:
            if exc.status == 404:
                raise
            # Muted, announce-only, empty or too long: shown on the page itself, with the service's status.
            return self._render(request, error=exc.message, status=exc.status)
        return redirect(request.path)

    def _render(self, request, *, error: str = "", status: int = 200):
        conversation = self.scope.extra["conversation"]
        context = {
            "messages_": chat_selectors.message_tail(conversation=conversation),
            "me": self.scope.extra["sender"].key,
            "reads_json": json.dumps(chat_selectors.read_states(conversation=conversation)),
            **self.scope.extra,
        }
        if error:
            context["error"] = error
        return render(request, self.template, context, status=status)


class CustomerGroupView(_CustomerConversationView):
    def resolve(self, request, *, group_id) -> CustomerScope:
        member = selectors.customer_group_membership(user=request.user, group_id=group_id)
        sender = Sender.of_customer(member.customer)
        return CustomerScope(brand=member.group.brand, customer=member.customer, extra={
            "conversation": conversation_for_group(group=member.group), "member": member, "group": member.group,
            "brand": member.group.brand, "sender": sender})


class CustomerDirectView(_CustomerConversationView):
    def resolve(self, request, *, customer_id) -> CustomerScope:
        customer = selectors.customer_of_user(user=request.user, customer_id=customer_id)
        sender = Sender.of_customer(customer)
        return CustomerScope(brand=customer.brand, customer=customer, extra={
            "conversation": conversation_for_customer(customer=customer), "customer": customer,
            "brand": customer.brand, "rep": customer.assigned_rep, "sender": sender})


class CustomerGroupLeaveView(CustomerPageView):
    """POST: the customer leaves a group they are in. GET goes back to the group."""

    def resolve(self, request, *, group_id) -> CustomerScope:
        if request.method != "POST":
            return CustomerScope()
        member = selectors.customer_group_membership(user=request.user, group_id=group_id)
        return CustomerScope(brand=member.group.brand, customer=member.customer, extra={"member": member})

    def get(self, request, group_id):
        return redirect("chats:customer_group", group_id=group_id)

    def post(self, request, group_id):
        member = self.scope.extra["member"]
        group_member_leave(member=member)
        messages.success(request, _("You left %(group)s.") % {"group": member.group.name})
        return redirect("chats:customer_home")


class CustomerMessageReportView(CustomerPageView):
    """POST: a customer flags a message in one of their conversations for the moderators."""

    def resolve(self, request, *, message_id) -> CustomerScope:
        if request.method != "POST":
            raise ApplicationError.not_found("message")
        identity = chat_selectors.chat_identity_for_user(user=request.user)
        message = selectors.message_visible_get(identity=identity, message_id=message_id)
        customer = identity.customer_in(message.brand_id)
        if customer is None:
            raise ApplicationError.not_found("message")
        return CustomerScope(brand=customer.brand, customer=customer, extra={"message": message})

    def get(self, request, message_id):
        raise Http404

    def post(self, request, message_id):
        with flash_errors(request) as outcome:
            message_report(message=self.scope.extra["message"], reporter=self.customer,
                           reason=request.POST.get("reason", ""))
        if outcome.ok:
            messages.success(request, _("Thanks. The moderators will take a look."))
        next_url = request.POST.get("next", "")
        # A path on this site only: redirect() would read "1" or "home" as a URL name (NoReverseMatch, a 500).
        if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse("chats:customer_home")
        return redirect(next_url)
