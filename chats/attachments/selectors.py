from privtraffic.accounts.models import User

from ..models import Attachment
from ..selectors import chat_identity_for_user, conversation_is_visible


def attachment_visible_get(*, user: User, attachment_id: int) -> Attachment | None:
    """An attachment of a conversation this person sees (as staff or as a customer), else None."""
    identity = chat_identity_for_user(user=user)
    if identity.is_empty:
        return None
    attachment = Attachment.objects.filter(pk=attachment_id).select_related("brand").first()
    if attachment is None or not conversation_is_visible(identity=identity, conversation_id=attachment.conversation_id):
        return None
    return attachment
