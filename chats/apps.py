from django.apps import AppConfig


class ChatsConfig(AppConfig):
    name = "chats"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import crm_hooks, subscribers  # noqa: F401  (register crm export/timeline hooks, outbox subscribers)
