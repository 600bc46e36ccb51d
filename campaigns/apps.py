from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Outbox subscribers, card kinds and timeline sources of the campaign features, one line each.
        from .orders import crm_hooks, subscribers  # noqa: F401  order cards, attribution, timeline entries
        from .webhooks import crm_hooks, subscribers, tasks  # noqa: F401,F811  tasks: Celery finds campaigns.tasks only
