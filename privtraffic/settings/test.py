"""Test settings: the real PostgreSQL and Redis started by `make test` (tests/testenv.py).

Each xdist worker gets its own channel-layer and cache prefix so parallel
workers sharing one redis-server never see each other's messages.
"""

import os

os.environ.setdefault("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
_worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
os.environ.setdefault("CHANNEL_LAYER_PREFIX", f"test-{_worker}")
os.environ.setdefault("CACHE_KEY_PREFIX", f"test-{_worker}")

from .base import *  # noqa: E402, F403
from .base import REDIS_URL  # noqa: E402

SECRET_KEY = "test-secret-key"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run in-process in unit tests; tests/events/test_worker.py runs a real worker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = REDIS_URL or "memory://"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True

# Each xdist worker caches in its own Redis database (1..15), so a test may clear its cache
# (rate limits, throttles) without touching other workers or the channel layer in database 0.
if REDIS_URL:
    _worker_number = int(_worker[2:]) if _worker.startswith("gw") and _worker[2:].isdigit() else 0
    _cache_db = 1 + _worker_number % 15
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL.rsplit("/", 1)[0] + f"/{_cache_db}",
        }
    }
