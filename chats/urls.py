"""Every chats page, gathered from the features: the customer's /chat/ pages, the rep inbox (and its quick
replies), and moderation. The names stay in the one `chats` namespace."""

from .attachments.urls import attachment_urlpatterns
from .cards.urls import card_urlpatterns
from .customer_chat.urls import customer_chat_urlpatterns
from .inbox.urls import inbox_urlpatterns
from .moderation.urls import moderation_urlpatterns
from .persona.urls import persona_urlpatterns

app_name = "chats"

urlpatterns = [
    *customer_chat_urlpatterns,
    *inbox_urlpatterns,
    *moderation_urlpatterns,
    *persona_urlpatterns,
    *attachment_urlpatterns,
    *card_urlpatterns,
]
