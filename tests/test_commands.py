import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from privtraffic.tenancy.models import ApiKey, Brand, Membership, Store
from privtraffic.tenancy.roles import Role

pytestmark = pytest.mark.django_db


def _create_brand(*extra: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_brand", "--name", "Acme Beauty", "--slug", "acme", "--owner-email", "owner@acme.test",
                 "--owner-password", "Sturdy-pass-123", *extra, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_brand_with_api_key_prints_one_line_and_the_key_works():
    out, _ = _create_brand("--api-key")
    lines = out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("API_KEY=pt_")
    key = lines[0].removeprefix("API_KEY=")
    brand = Brand.objects.get(slug="acme")
    assert Membership.objects.get(brand=brand).role == Role.OWNER
    Store.objects.create(brand=brand, name="Mine")
    other = Brand.objects.create(name="Other", slug="other")
    Store.objects.create(brand=other, name="Not mine")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert [s["name"] for s in client.get("/api/v1/stores/").json()["results"]] == ["Mine"]


def test_create_brand_without_api_key_prints_no_key():
    out, _ = _create_brand()
    assert "API_KEY" not in out and not ApiKey.objects.exists()


def test_create_brand_owner_can_log_in(client):
    _create_brand()
    assert client.login(username="owner@acme.test", password="Sturdy-pass-123")
    assert client.get("/b/acme/").status_code == 200


@pytest.mark.parametrize("args, message", [
    (["--slug", "Bad Slug"], "slug"),
    (["--owner-password", "123"], "password"),
])
def test_create_brand_rejects_bad_input(args, message):
    base = {"--name": "Acme", "--slug": "acme", "--owner-email": "o@acme.test", "--owner-password": "Sturdy-pass-123"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    with pytest.raises(CommandError, match=message):
        call_command("create_brand", *[x for pair in base.items() for x in pair])
    assert not Brand.objects.exists()


def test_create_brand_twice_is_a_clear_error():
    _create_brand()
    with pytest.raises(CommandError, match="already taken"):
        _create_brand()


def test_seed_demo_builds_the_demo_team_once():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    brand = Brand.objects.get(slug="demo")
    assert Store.objects.filter(brand=brand).count() == 3
    assert Membership.objects.filter(brand=brand, role=Role.REP).count() == 6
    assert Membership.objects.filter(brand=brand, role=Role.MARKETER).count() == 1
    assert Membership.objects.get(brand=brand, role=Role.OWNER).user.email == "owner@demo.test"
    call_command("seed_demo", stdout=io.StringIO())
    assert Membership.objects.filter(brand=brand).count() == 9  # owner, marketer, manager, 6 reps


def test_create_brand_from_the_shell_in_a_subprocess(tmp_path):
    """The exact command line from CONTRACT.md, on the embedded default."""
    root = Path(__file__).resolve().parent.parent
    env = {"PATH": "/usr/bin:/bin", "PRIVTRAFFIC_VAR_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=root, env=env, check=True)
    result = subprocess.run(
        [sys.executable, "manage.py", "create_brand", "--name", "Acme Beauty", "--slug", "acme",
         "--owner-email", "owner@acme.test", "--owner-password", "Sturdy-pass-123", "--api-key"],
        cwd=root, env=env, capture_output=True, text=True, check=True,
    )
    assert result.stdout.startswith("API_KEY=pt_") and result.stdout.count("\n") == 1


def test_seed_demo_builds_groups_customers_and_invites():
    from communities.models import GroupMember, InviteLink, VipGroup
    from crm.models import Customer

    call_command("seed_demo", stdout=io.StringIO())
    brand = Brand.objects.get(slug="demo")
    assert Customer.objects.filter(brand=brand).count() == 1500
    # Demo orders keep the figures crm.orders would: count and lifetime value match the counted orders.
    from django.db.models import Sum

    from crm.models import Order
    buyer = Customer.objects.filter(brand=brand, order_count__gt=1).first()
    counted = Order.objects.filter(customer=buyer).exclude(status__in=["cancelled", "refunded"])
    assert buyer.order_count == counted.count()
    assert buyer.lifetime_value == counted.aggregate(total=Sum("total"))["total"]
    from crm.models import Survey
    assert Survey.objects.get(brand=brand, is_onboarding=True).status == "active"
    from crm.models import Product
    assert Product.objects.filter(brand=brand, active=True).count() >= 5  # the catalogue (crm.demo.CATALOGUE)
    flagship = VipGroup.objects.get(brand=brand, name="Shanghai VIP Club")
    assert (flagship.member_count, flagship.capacity, flagship.is_full) == (500, 500, True)
    assert flagship.overflow_group.name == "Shanghai VIP Club #2"
    for group in VipGroup.objects.filter(brand=brand):
        active = GroupMember.objects.filter(group=group, left_at__isnull=True).count()
        assert group.member_count == active, group.name
    assert VipGroup.objects.filter(brand=brand, series_root__isnull=True).count() == 4
    assert InviteLink.objects.filter(brand=brand, kind="group").count() == 4
    assert InviteLink.objects.filter(brand=brand, kind="rep").count() == 6


def test_seed_demo_writes_chat_history_in_order():
    from chats.models import Conversation, Message

    call_command("seed_demo", stdout=io.StringIO())
    brand = Brand.objects.get(slug="demo")
    conversations = Conversation.objects.filter(brand=brand)
    assert conversations.filter(kind="group").count() == 5 and conversations.filter(kind="direct").count() == 60
    for conversation in conversations:
        seqs = list(Message.objects.filter(conversation=conversation).order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(1, conversation.last_seq + 1))
    assert Message.objects.filter(brand=brand, sender_type="rep").exists()


def test_seed_demo_copy_fits_a_beauty_brand():
    """Demo Beauty's onboarding survey asked how you grill and its orders sold barbecue sets: every piece of
    demo copy a person reads (survey, questions, choices, order items, groups, quick replies, chats) is about
    skincare."""
    from chats.models import Message, QuickReply
    from communities.models import VipGroup
    from crm.models import Order, Survey, SurveyQuestion

    call_command("seed_demo", stdout=io.StringIO())
    brand = Brand.objects.get(slug="demo")
    survey = Survey.objects.get(brand=brand, is_onboarding=True)
    questions = list(SurveyQuestion.objects.filter(survey=survey))
    texts = [survey.title, survey.intro, *(q.text for q in questions), *(str(q.choices) for q in questions),
             *(str(o.items) for o in Order.objects.filter(brand=brand)[:200]),
             *VipGroup.objects.filter(brand=brand).values_list("name", flat=True),
             *QuickReply.objects.filter(brand=brand).values_list("body", flat=True),
             *Message.objects.filter(brand=brand).values_list("body", flat=True)]
    off_brand = ("grill", "bbq", "barbecue", "charcoal", "tongs", "apron")
    assert not [t for t in texts if any(word in t.lower() for word in off_brand)]
    assert "skin" in survey.title.lower()
