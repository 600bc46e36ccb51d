"""Images and files in chat: checked, stored through Django's storage API, and served only to those who see the
conversation."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chats.attachments.services import attachment_send
from chats.models import Attachment, Message
from chats.services import Sender, conversation_for_customer
from crm.privacy.services import customer_erase
from privtraffic.tenancy.errors import ApplicationError
from tests import factories
from tests.chats.persona.test_services import PNG

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _upload(name="photo.png", data=PNG, content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def _chat(brand, rep):
    user = factories.make_user(password=None)
    customer = factories.make_customer(brand, "Lin", email=user.email, user=user, assigned_rep=rep)
    return customer, conversation_for_customer(customer=customer)


def test_rep_sends_an_image_from_the_inbox_and_only_participants_can_fetch_it(client, brand, rep, other_rep, media):
    customer, chat = _chat(brand, rep)
    client.force_login(rep.user)
    response = client.post(f"/b/{brand.slug}/inbox/{chat.pk}/", {"action": "attach", "attachment": _upload(),
                                                                  "body": "Our new serum", "client_msg_id": "a-1"})
    assert response.status_code == 302
    message = Message.objects.get(client_msg_id="a-1")
    attachment = Attachment.objects.get(conversation=chat)
    assert message.kind == "image" and message.body == "Our new serum"
    assert message.payload["url"] == f"/chat/files/{attachment.pk}/" and message.payload["content_type"] == "image/png"
    assert (media / attachment.file.name).read_bytes() == PNG
    page = client.get(f"/b/{brand.slug}/inbox/{chat.pk}/").content.decode()
    assert f'src="/chat/files/{attachment.pk}/' in page
    fetched = client.get(f"/chat/files/{attachment.pk}/")
    assert fetched.status_code == 200 and fetched["Content-Type"] == "image/png"
    assert b"".join(fetched.streaming_content) == PNG and fetched["X-Content-Type-Options"] == "nosniff"
    client.force_login(customer.user)
    assert client.get(f"/chat/files/{attachment.pk}/").status_code == 200
    for outsider in (other_rep.user, factories.owner_of(factories.make_brand("globex")).user):
        client.force_login(outsider)
        assert client.get(f"/chat/files/{attachment.pk}/").status_code == 404
    client.logout()
    assert client.get(f"/chat/files/{attachment.pk}/").status_code == 302  # to the sign-in page


def test_customer_sends_a_pdf_from_their_page(client, brand, rep):
    customer, chat = _chat(brand, rep)
    client.force_login(customer.user)
    response = client.post(f"/chat/direct/{customer.pk}/", {"attachment": _upload("receipt.pdf", b"%PDF-1.4 data",
                                                                                   "application/pdf")})
    assert response.status_code == 302
    message = Message.objects.get(conversation=chat, kind="file")
    assert message.payload["name"] == "receipt.pdf" and message.sender_customer_id == customer.pk
    fetched = client.get(message.payload["url"])
    assert fetched.status_code == 200 and "attachment" in fetched["Content-Disposition"]


@pytest.mark.parametrize("upload,needle", [
    (("x.png", b"<html><script>alert(1)</script>", "image/png"), "Upload an image"),
    (("x.exe", b"MZ\x90\x00", "application/octet-stream"), "Upload an image"),
    (("big.png", PNG + b"\x00" * (5 * 1024 * 1024), "image/png"), "too big"),
    (("empty.png", b"", "image/png"), "empty"),
])
def test_bad_files_are_refused_and_nothing_is_stored(client, brand, rep, media, upload, needle):
    customer, chat = _chat(brand, rep)
    client.force_login(customer.user)
    response = client.post(f"/chat/direct/{customer.pk}/", {"attachment": _upload(*upload)})
    assert response.status_code == 400 and needle in response.content.decode()
    assert not Message.objects.filter(conversation=chat).exists() and not Attachment.objects.exists()
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_a_muted_or_outside_sender_stores_nothing(brand, rep, other_rep, media):
    customer, chat = _chat(brand, rep)
    with pytest.raises(ApplicationError) as exc:
        attachment_send(conversation=chat, sender=Sender.of_staff(other_rep), upload=_upload())
    assert exc.value.status == 404
    assert not Attachment.objects.exists() and not [p for p in media.rglob("*") if p.is_file()]


def test_retry_returns_the_first_message_and_erasure_deletes_the_files(brand, rep, media):
    customer, chat = _chat(brand, rep)
    first = attachment_send(conversation=chat, sender=Sender.of_customer(customer), upload=_upload(), client_msg_id="r")
    again = attachment_send(conversation=chat, sender=Sender.of_customer(customer), upload=_upload(), client_msg_id="r")
    assert first.pk == again.pk and Attachment.objects.count() == 1
    customer_erase(customer=customer, actor=factories.owner_of(brand))
    assert not Attachment.objects.exists() and not [p for p in media.rglob("*") if p.is_file()]
