from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .coupons import cards as coupon_cards  # noqa: F401  (the "coupon" chat card)
        from .coupons import crm_hooks as coupon_crm_hooks  # noqa: F401  (timeline, export)
