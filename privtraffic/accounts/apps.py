from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "privtraffic.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from privtraffic import sms  # noqa: F401  (registers the SMS_BACKEND deploy check)
