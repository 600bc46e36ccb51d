"""The profile's source line: the group or rep of the invite a customer joined through, never its token."""

import pytest

from crm.models import CustomerSource
from tests import factories

pytestmark = pytest.mark.django_db


def _profile(login, brand, customer) -> str:
    return login(factories.owner_of(brand)).get(f"/b/{brand.slug}/customers/{customer.pk}/").content.decode()


def test_group_invite_source_names_the_group_not_the_token(login, brand):
    invite = factories.make_invite(brand, group=factories.make_group(brand, "Glow Club"), label="Counter QR")
    customer = factories.make_customer(brand, source=CustomerSource.INVITE_LINK, source_ref=invite.token)
    page = _profile(login, brand, customer)
    assert invite.token not in page
    assert "invite link to the group “Glow Club” · Counter QR" in page


def test_rep_invite_source_names_the_rep(login, brand, rep):
    invite = factories.make_invite(brand, rep=rep)
    customer = factories.make_customer(brand, source=CustomerSource.REP, source_ref=invite.token)
    page = _profile(login, brand, customer)
    assert invite.token not in page and "Rita Rep’s invite link" in page


def test_other_brands_or_deleted_invite_token_is_never_shown(login, brand, other_brand):
    theirs = factories.make_invite(other_brand)
    customer = factories.make_customer(brand, source=CustomerSource.INVITE_LINK, source_ref=theirs.token)
    page = _profile(login, brand, customer)
    assert theirs.token not in page and "an invite link that no longer exists" in page


def test_import_source_keeps_its_file_name(login, brand):
    customer = factories.make_customer(brand, source=CustomerSource.IMPORT, source_ref="spring-fair.csv")
    assert "spring-fair.csv" in _profile(login, brand, customer)
