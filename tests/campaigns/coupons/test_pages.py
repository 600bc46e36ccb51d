"""The coupons pages: list, create and edit, the coupon's page with claims and redemptions, ending it."""

from campaigns.coupons.services import coupon_claim, coupon_redeem
from campaigns.models import Coupon
from privtraffic.tenancy.actors import CustomerActor
from tests import factories


def url(brand, rest=""):
    return f"/b/{brand.slug}/coupons/{rest}"


def form(**fields):
    values = {"title": "Spring 20", "codes": "shared", "code": "SPRING20", "kind": "percent", "value": "20",
              "currency": "CNY", "min_order": "", "valid_from": "", "valid_until": "", "max_redemptions": "100",
              "per_customer_limit": "1", "campaign": ""}
    values.update(fields)
    return values


def test_a_marketer_creates_a_coupon_and_sees_it_listed(brand, marketer, login):
    client = login(marketer)
    empty = client.get(url(brand)).content.decode()
    assert "No coupons yet" in empty and f'href="/b/{brand.slug}/coupons/"' in empty  # the nav link
    response = client.post(url(brand, "new/"), form(valid_until="2030-01-01T10:00"))
    coupon = Coupon.objects.get(brand=brand)
    assert response.status_code == 302 and response["Location"] == url(brand, f"{coupon.pk}/")
    assert (coupon.code, coupon.max_redemptions, coupon.valid_until.isoformat()) == (
        "SPRING20", 100, "2030-01-01T02:00:00+00:00")  # typed in the brand's time zone (Asia/Shanghai)
    listed = client.get(url(brand)).content.decode()
    assert "Spring 20" in listed and "SPRING20" in listed and "20% off" in listed and "2030-01-01 10:00" in listed


def test_bad_input_is_shown_beside_its_field_and_nothing_is_saved(brand, marketer, login):
    client = login(marketer)
    for fields, field in (({"code": "A"}, "code"), ({"value": "١٠"}, "value"), ({"value": "150"}, "value"),
                          ({"max_redemptions": "²"}, "max_redemptions"), ({"kind": "amount", "currency": ""},
                                                                          "currency"),
                          ({"valid_from": "2030-01-02T00:00", "valid_until": "2030-01-01T00:00"}, "valid_until")):
        response = client.post(url(brand, "new/"), form(**fields))
        assert response.status_code == 400, fields
        assert field in response.context["form"].errors, (fields, response.context["form"].errors)
    assert not Coupon.objects.exists()


def test_the_coupon_page_lists_who_claimed_and_redeemed_with_which_order(brand, marketer, login, system):
    coupon = factories.make_coupon(brand, title="Till deal", code="TILL1")
    mei, ann = factories.make_customer(brand, "Mei Lin"), factories.make_customer(brand, "Ann Wu")
    coupon_claim(actor=CustomerActor(ann), coupon=coupon)
    order = factories.make_order(brand, mei, total="120.00", external_id="SO-7788")
    coupon_redeem(actor=system, code="TILL1", customer=mei, order=order)
    page = login(marketer).get(url(brand, f"{coupon.pk}/")).content.decode()
    assert "Mei Lin" in page and "Ann Wu" in page and "SO-7788" in page and "120.00 CNY" in page
    assert 'data-count="claims">2<' in page and 'data-count="redemptions">1<' in page


def test_edit_and_end_a_coupon(brand, marketer, login):
    coupon = factories.make_coupon(brand, title="Old", code="EDIT1")
    client = login(marketer)
    assert 'value="Old"' in client.get(url(brand, f"{coupon.pk}/edit/")).content.decode()
    assert client.post(url(brand, f"{coupon.pk}/edit/"), form(title="New", code="EDIT1")).status_code == 302
    assert Coupon.objects.get(pk=coupon.pk).title == "New"
    assert client.post(url(brand, f"{coupon.pk}/deactivate/")).status_code == 302
    assert Coupon.objects.get(pk=coupon.pk).active is False
    assert "Ended" in client.get(url(brand, f"{coupon.pk}/")).content.decode()


def test_reps_may_not_manage_coupons_and_other_brands_coupons_are_not_found(brand, other_brand, rep, marketer,
                                                                            login):
    assert login(rep).get(url(brand)).status_code == 403
    foreign = factories.make_coupon(other_brand)
    client = login(marketer)
    assert client.get(url(brand, f"{foreign.pk}/")).status_code == 404
    assert client.post(url(brand, f"{foreign.pk}/deactivate/")).status_code == 404
    assert Coupon.objects.get(pk=foreign.pk).active


def test_the_list_costs_the_same_for_many_coupons(brand, marketer, login, django_assert_max_num_queries):
    client = login(marketer)
    client.get(url(brand))
    for _n in range(30):
        factories.make_coupon(brand)
    with django_assert_max_num_queries(12):
        assert client.get(url(brand)).status_code == 200
