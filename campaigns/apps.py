from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .events import cards, crm_hooks  # noqa: F401  (the "event" chat card; RSVPs in export, timeline, erasure)
