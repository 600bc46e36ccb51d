"""The card endpoints chat.js reads and presses: the customer's under /chat/cards/, the staff's under
/b/<slug>/inbox/cards/. Both answer JSON: the viewer's CardState, or the one error object."""

from __future__ import annotations

from collections.abc import Callable

from django.http import JsonResponse

from privtraffic.tenancy.actors import CustomerActor
from privtraffic.tenancy.customer_pages import CustomerPageView, CustomerScope
from privtraffic.tenancy.dashboard import BrandView
from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.roles import Perm

from .. import selectors as chat_selectors
from .registry import CardState, card_brand
from .services import card_act, card_state_get


def _answer(call: Callable[[], CardState]) -> JsonResponse:
    """The one place a card's ApplicationError becomes the JSON error object (same shape as the API's)."""
    try:
        return JsonResponse(call().as_json())
    except ApplicationError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status)


class CustomerCardView(CustomerPageView):
    """GET: the card as this customer sees it. POST <verb>/: press a button."""

    def resolve(self, request, *, kind, ref, verb=None) -> CustomerScope:
        identity = chat_selectors.chat_identity_for_user(user=request.user)
        if len(identity.customers) == 1:
            # The usual case: a customer of one brand. The service checks the card is that brand's (else 404),
            # so the card's brand is read once, there.
            customer = identity.customers[0]
        else:
            brand_id = card_brand(kind, ref)
            customer = identity.customer_in(brand_id) if brand_id is not None else None
        if customer is None:
            raise ApplicationError.not_found("card")
        return CustomerScope(brand=customer.brand, customer=customer)

    def get(self, request, kind, ref, verb=None):
        if verb is not None:  # an action is pressed, never read
            raise ApplicationError.not_found("card action")
        return _answer(lambda: card_state_get(actor=CustomerActor(self.customer), kind=kind, ref=ref))

    def post(self, request, kind, ref, verb=None):
        if verb is None:
            raise ApplicationError.not_found("card action")
        return _answer(lambda: card_act(actor=CustomerActor(self.customer), kind=kind, ref=ref, verb=verb))


class InboxCardView(BrandView):
    """The same card for the brand's staff in the inbox (their view: counts, no customer's code)."""

    permission = Perm.CHAT

    def get(self, request, kind, ref, verb=None):
        if verb is not None:  # an action is pressed, never read
            raise ApplicationError.not_found("card action")
        return _answer(lambda: card_state_get(actor=self.membership, kind=kind, ref=ref))

    def post(self, request, kind, ref, verb=None):
        return _answer(lambda: card_act(actor=self.membership, kind=kind, ref=ref, verb=verb or ""))
