"""/b/<slug>/persona/: the page that sets the brand persona."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chats.models import BrandPersona
from tests.chats.persona.test_services import PNG

pytestmark = pytest.mark.django_db


def test_marketer_sets_the_persona_with_an_avatar(client, brand, marketer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(marketer.user)
    page = client.get("/b/acme/persona/")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.content.decode()
    assert "/b/acme/persona/" in client.get("/b/acme/").content.decode()  # linked from the nav
    response = client.post("/b/acme/persona/", {"name": "Lumi", "bio": "Skincare guide",
                                                "avatar": SimpleUploadedFile("l.png", PNG, content_type="image/png")})
    assert response.status_code == 302
    persona = BrandPersona.objects.get(brand=brand)
    page = client.get("/b/acme/persona/").content.decode()
    assert "Lumi" in page and f"/chat/persona/{persona.pk}/avatar/" in page


def test_bad_avatar_is_shown_on_the_form(client, brand, owner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(owner.user)
    response = client.post("/b/acme/persona/", {"name": "Lumi", "avatar": SimpleUploadedFile(
        "x.png", b"<svg/>", content_type="image/png")})
    assert response.status_code == 400 and "Upload a PNG, JPEG, GIF or WebP image." in response.content.decode()
    assert not BrandPersona.objects.exists()


def test_reps_and_store_managers_get_403(client, brand, rep, manager):
    for member in (rep, manager):
        client.force_login(member.user)
        assert client.get("/b/acme/persona/").status_code == 403
        assert client.post("/b/acme/persona/", {"name": "Lumi"}).status_code == 403
    assert not BrandPersona.objects.exists()
