"""How a customer's profile names where they came from. crm stores only `source` and `source_ref` (an invite
token, a referrer, a file name); an app that knows what a ref means registers a describer for its sources
from its AppConfig.ready() (communities: the group or rep an invite link leads to). A source with a
describer never shows its raw ref: an invite token is a secret that lets anyone join."""

from collections.abc import Callable

from privtraffic.tenancy.models import Brand

from ..models import Customer

Describer = Callable[[Brand, str], str]
_describers: dict[str, Describer] = {}


def source_describer(*sources: str) -> Callable[[Describer], Describer]:
    def register(fn: Describer) -> Describer:
        for source in sources:
            _describers[source] = fn
        return fn

    return register


def customer_source_detail(*, brand: Brand, customer: Customer) -> str:
    """What to show beside the customer's source: the describer's words, or the ref itself for sources
    nobody describes (an import's file name)."""
    if not customer.source_ref:
        return ""
    describe = _describers.get(customer.source)
    if describe is None:
        return customer.source_ref
    return describe(brand, customer.source_ref)
