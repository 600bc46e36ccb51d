"""attachment_send: one upload becomes one image or file message."""

import uuid

from django.core.files.base import ContentFile
from django.db import transaction

from ..models import Attachment, Conversation, Message, MessageKind
from ..services import Sender, check_may_post, message_find_retry, message_send
from ..uploads import thumbnail_bytes, upload_check


def attachment_url(attachment_id: int, *, thumb: bool = False) -> str:
    from django.urls import reverse

    url = reverse("chats:attachment", kwargs={"attachment_id": attachment_id})
    return url + "?thumb=1" if thumb else url


def attachment_send(*, conversation: Conversation, sender: Sender, upload, body: str = "",
                    client_msg_id: str = "") -> Message:
    """Store an uploaded image (PNG, JPEG, GIF, WebP; 5 MB) or PDF (10 MB) and send it as a message.

    Who may post is checked before anything is stored; a retried client_msg_id returns the first message.
    """
    if client_msg_id:
        first = message_find_retry(conversation=conversation, sender=sender, client_msg_id=client_msg_id.strip())
        if first is not None:
            return first
    check_may_post(conversation, sender)
    checked = upload_check(upload, field="attachment")
    upload.seek(0)
    stem = uuid.uuid4().hex
    thumb = thumbnail_bytes(upload) if checked.kind == "image" else None
    attachment = Attachment(brand_id=conversation.brand_id, conversation=conversation, name=checked.name,
                            content_type=checked.content_type, size=checked.size, uploaded_by=sender.key)
    try:
        with transaction.atomic():
            upload.seek(0)
            attachment.file.save(f"{stem}.{checked.extension}", ContentFile(upload.read()), save=False)
            if thumb:
                attachment.thumbnail.save(f"{stem}.jpg", ContentFile(thumb), save=False)
            attachment.save()
            payload = {"url": attachment_url(attachment.pk), "name": checked.name, "size": checked.size,
                       "content_type": checked.content_type, "attachment_id": attachment.pk}
            if thumb:
                payload["thumb_url"] = attachment_url(attachment.pk, thumb=True)
            kind = MessageKind.IMAGE if checked.kind == "image" else MessageKind.FILE
            message = message_send(conversation=conversation, sender=sender, kind=kind, body=body, payload=payload,
                                   client_msg_id=client_msg_id)
    except Exception:
        # Files written to storage are not part of the transaction: a refused send leaves none behind.
        for field in (attachment.file, attachment.thumbnail):
            if field:
                field.storage.delete(field.name)
        raise
    return message
