from django.apps import AppConfig


class CommunitiesConfig(AppConfig):
    name = "communities"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import crm_hooks  # noqa: F401  (registers crm export sections, erase steps, timeline sources)
        from .segment_conditions import register

        register()
