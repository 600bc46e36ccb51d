import pytest

from communities.models import InviteLink
from privtraffic.tenancy.roles import Role
from tests import factories
from tests.helpers import api_error

pytestmark = pytest.mark.django_db


def test_invite_create_has_url_and_qr_and_delete_revokes(brand, api):
    group = factories.make_group(brand)
    response = api.post("/api/v1/invites/", {"group": group.pk, "max_uses": 100}, format="json")
    assert response.status_code == 201
    invite = response.json()
    token = InviteLink.objects.get(pk=invite["id"]).token
    assert invite["url"] == f"http://testserver/join/{token}/"
    assert invite["qr_svg_url"] == f"http://testserver/join/{token}/qr.svg"
    assert invite["use_count"] == 0 and invite["is_usable"] is True
    revoked = api.delete(f"/api/v1/invites/{invite['id']}/").json()
    assert revoked["revoked_at"] and revoked["is_usable"] is False


def test_rep_invite(brand, api):
    rep = factories.make_member(brand, Role.REP)
    invite = api.post("/api/v1/invites/", {"rep": rep.pk}, format="json").json()
    assert (invite["kind"], invite["rep"], invite["store"]) == ("rep", rep.pk, rep.store_id)


@pytest.mark.parametrize("body", [{}, {"group": 1, "rep": 1}, {"group": "x"}, {"max_uses": 0, "group": 1}])
def test_invite_bad_body_is_400(brand, api, body):
    api_error(api.post("/api/v1/invites/", body, format="json"), 400, "invalid")
    assert not InviteLink.objects.exists()


def test_invite_for_other_brand_group_or_rep_is_404(brand, other_brand, api):
    api_error(api.post("/api/v1/invites/", {"group": factories.make_group(other_brand).pk}, format="json"), 404, "not_found")
    other_rep = factories.make_member(other_brand, Role.REP)
    api_error(api.post("/api/v1/invites/", {"rep": other_rep.pk}, format="json"), 404, "not_found")
