from importlib import import_module

from django.apps import AppConfig

# Each feature's registrations, made on import: outbox subscribers, chat card kinds, crm hooks (timeline,
# export, erase), and the tasks modules Celery would not find on its own (it looks in campaigns.tasks only).
FEATURE_HOOKS = [
    "coupons.cards",
    "coupons.crm_hooks",
    "events.cards",
    "events.crm_hooks",
    "groupbuys.cards",
    "orders.crm_hooks",
    "orders.subscribers",
    "webhooks.crm_hooks",
    "webhooks.subscribers",
    "webhooks.tasks",
]


class CampaignsConfig(AppConfig):
    name = "campaigns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        for module in FEATURE_HOOKS:
            import_module(f"{self.name}.{module}")
