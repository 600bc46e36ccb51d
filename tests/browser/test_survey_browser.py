import re

import pytest

from crm.models import Customer, SurveyAnswer, Tag
from crm.surveys import services
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_answers_the_onboarding_survey_after_joining_on_a_phone(live_server, browser_context, settings,
                                                                        brand):
    settings.ALLOWED_HOSTS = ["*"]
    group = factories.make_group(brand, "Glow Club")
    invite = factories.make_invite(brand, group=group)
    survey = services.survey_create(brand=brand, actor=factories.system(brand), title="Tell us about you", is_onboarding=True)
    skin = services.question_add(survey=survey, actor=factories.system(survey.brand_id), kind="single", text="Your skin type?",
                                 choices=["Oily", "Dry", "Combination, sometimes sensitive"])
    love = services.question_add(survey=survey, actor=factories.system(survey.brand_id), kind="scale", text="How much do you love skincare?")
    services.question_add(survey=survey, actor=factories.system(survey.brand_id), kind="text", text="Anything else?", required=False)
    services.rule_add(question=skin, actor=factories.system(skin.brand_id), value="Oily", action="add_tag", tag_name="oily-skin")
    services.survey_activate(survey=survey, actor=factories.system(survey.brand_id))
    page = browser_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True).new_page()

    page.goto(f"{live_server.url}/join/{invite.token}/")
    page.fill("input[name=name]", "Mei Lin")
    page.check("input[name=consent_chat]")
    page.get_by_role("button", name="Join").click()

    # The survey comes before the chat, fits the phone, and has a Skip button.
    page.wait_for_url(re.compile(rf"/s/{survey.pk}/\?next="))
    assert page.locator("h1").inner_text() == "Tell us about you"
    assert page.get_by_role("button", name="Skip").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Sending without the required scale shows the error and keeps the choice.
    page.get_by_label("Oily").check()
    page.get_by_role("button", name="Send my answers").click()
    assert page.get_by_text("Please answer this question.").is_visible()
    assert page.get_by_label("Oily").is_checked()
    page.locator(f"input[name=q{love.pk}][value='4']").check()
    page.get_by_role("button", name="Send my answers").click()

    page.wait_for_url(f"{live_server.url}/chat/group/{group.pk}/")
    assert page.locator("h1").inner_text() == "Glow Club"
    customer = Customer.objects.get(brand=brand, name="Mei Lin")
    assert list(Tag.objects.filter(customers=customer).values_list("name", flat=True)) == ["oily-skin"]
    assert sorted(SurveyAnswer.objects.filter(customer=customer).values_list("value", flat=True), key=str) == [
        4, "Oily"]
