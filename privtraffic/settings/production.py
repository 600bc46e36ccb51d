"""Production: secrets have no defaults, and `manage.py check --deploy` is clean."""

import os

from .base import *  # noqa: F403
from .env import env_bool, env_int, env_list, env_str

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
DEBUG = False
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", [])
if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("Production needs DATABASE_URL and REDIS_URL.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# Preload lists need a max-age of at least a year, and are hard to leave: only when asked for.
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
if SECURE_HSTS_PRELOAD and SECURE_HSTS_SECONDS < 60 * 60 * 24 * 365:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("DJANGO_SECURE_HSTS_PRELOAD needs DJANGO_SECURE_HSTS_SECONDS of at least 31536000.")
if not SECURE_HSTS_PRELOAD:
    # check --deploy warns (security.W021) about a preload left off: here it is left off on purpose.
    SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
WHITENOISE_AUTOREFRESH = False
