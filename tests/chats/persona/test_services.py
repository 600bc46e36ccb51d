"""persona_save / persona_get: who may set the brand persona, and what a good avatar is."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chats.models import BrandPersona
from chats.persona.selectors import persona_get
from chats.persona.services import persona_save
from privtraffic.tenancy.errors import ApplicationError
from tests import factories

pytestmark = pytest.mark.django_db

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def png(name="lumi.png", data=PNG):
    return SimpleUploadedFile(name, data, content_type="image/png")


def test_marketer_creates_then_updates_the_one_persona(brand, marketer, owner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    assert persona_get(brand=brand) is None
    persona = persona_save(brand=brand, actor=marketer, name=" Lumi ", bio="Your skincare guide", avatar=png())
    assert (persona.name, persona.bio) == ("Lumi", "Your skincare guide")
    assert persona.avatar.name.endswith(".png") and persona.avatar.read() == PNG
    again = persona_save(brand=brand, actor=owner, name="Lumi 2", bio="")
    assert again.pk == persona.pk and again.avatar  # the avatar stays unless replaced or removed
    assert BrandPersona.objects.filter(brand=brand).count() == 1
    removed = persona_save(brand=brand, actor=owner, name="Lumi 2", remove_avatar=True)
    assert not removed.avatar
    assert persona_get(brand=brand).name == "Lumi 2"


@pytest.mark.parametrize("data,name", [
    (b"GIF89a" + b"\x00" * 20, "ok.gif"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "ok.jpg"),
])
def test_other_image_types_are_taken(brand, owner, settings, tmp_path, data, name):
    settings.MEDIA_ROOT = tmp_path
    persona = persona_save(brand=brand, actor=owner, name="Lumi", avatar=png(name, data))
    assert persona.avatar.name.endswith("." + name.rsplit(".", 1)[1])


@pytest.mark.parametrize("upload,field_error", [
    (png("evil.png", b"<svg onload=alert(1)>"), "Upload a PNG"),      # named .png, is not one
    (png("doc.pdf", b"%PDF-1.4 hello"), "Upload a PNG"),              # a PDF is no avatar
    (png("empty.png", b""), "empty"),
])
def test_bad_avatars_are_refused_and_change_nothing(brand, owner, settings, tmp_path, upload, field_error):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ApplicationError) as exc:
        persona_save(brand=brand, actor=owner, name="Lumi", avatar=upload)
    assert exc.value.code == "invalid" and field_error in exc.value.fields["avatar"][0]
    assert persona_get(brand=brand) is None
    assert not list(tmp_path.rglob("*.*"))


def test_too_big_avatar_is_refused(brand, owner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    big = PNG + b"\x00" * (5 * 1024 * 1024)
    with pytest.raises(ApplicationError) as exc:
        persona_save(brand=brand, actor=owner, name="Lumi", avatar=png(data=big))
    assert "too big" in exc.value.fields["avatar"][0]


@pytest.mark.parametrize("name,bio,field", [("", "", "name"), ("x" * 61, "", "name"), ("Lumi", "b" * 201, "bio")])
def test_name_and_bio_are_checked(brand, owner, name, bio, field):
    with pytest.raises(ApplicationError) as exc:
        persona_save(brand=brand, actor=owner, name=name, bio=bio)
    assert field in exc.value.fields
    assert persona_get(brand=brand) is None


def test_nul_byte_is_refused(brand, owner):
    with pytest.raises(ApplicationError) as exc:
        persona_save(brand=brand, actor=owner, name="Lu\x00mi")
    assert exc.value.code == "invalid_characters"


def test_reps_and_store_managers_may_not_set_it_and_other_brands_are_not_found(brand, other_brand, rep, manager):
    for actor in (rep, manager):
        with pytest.raises(ApplicationError) as exc:
            persona_save(brand=brand, actor=actor, name="Lumi")
        assert exc.value.status == 403
    with pytest.raises(ApplicationError) as exc:
        persona_save(brand=other_brand, actor=factories.owner_of(brand), name="Lumi")
    assert exc.value.status == 404
    assert not BrandPersona.objects.exists()
