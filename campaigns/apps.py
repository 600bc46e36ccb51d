from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .groupbuys import cards, subscribers  # noqa: F401  (the group_buy card kind, where its cards went)
