from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .orders import crm_hooks, subscribers  # noqa: F401  order cards, attribution and its timeline entries
