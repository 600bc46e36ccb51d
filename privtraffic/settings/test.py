"""Test settings: the real PostgreSQL and Redis started by `make test` (tests/testenv.py).

Each xdist worker gets its own channel-layer prefix and cache database (see
tests/conftest.py) so parallel workers sharing one redis-server never see each
other's messages.
"""

import os

os.environ.setdefault("ACCOUNT_EMAIL_VERIFICATION", "mandatory")

from .base import *  # noqa: E402, F403
from .base import CACHES, REDIS_URL  # noqa: E402

SECRET_KEY = "test-secret-key"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "sms.backends.locmem.SmsBackend"  # texts land in sms.outbox (the sms_outbox fixture)
# Tasks run in-process in unit tests; tests/events/test_worker.py runs a real worker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = REDIS_URL or "memory://"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True

# Per-worker channel-layer prefixes and cache databases are set by tests/conftest.py once the
# xdist worker id is known (pytest-django imports these settings before xdist names the worker).
if REDIS_URL:
    CACHES = {
        "default": {
            **CACHES["default"],  # the client timeouts of base.py, without the production key prefix
            "KEY_PREFIX": "",
            "LOCATION": REDIS_URL.rsplit("/", 1)[0] + "/" + os.environ.get("TEST_CACHE_DB", "1"),
        }
    }
