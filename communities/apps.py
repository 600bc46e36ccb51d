from django.apps import AppConfig


class CommunitiesConfig(AppConfig):
    name = "communities"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Hand crm what communities holds on a person (export sections, erase steps, timeline sources)
        # and the "member of a group" segment condition.
        from . import crm_hooks, segment_conditions  # noqa: F401
