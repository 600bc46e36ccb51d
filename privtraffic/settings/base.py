"""Settings shared by every way of running the platform.

Everything that differs between machines comes from the environment. With no
DATABASE_URL and no REDIS_URL the platform runs "embedded": SQLite under var/,
the in-memory channel layer and Celery tasks executed in-process. Setting both
switches to the full stack without touching code.
"""

from pathlib import Path

import csp.constants as _csp_constants
import dj_database_url

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("PRIVTRAFFIC_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-insecure-secret-key-change-me-in-production")
DEBUG = env_bool("DJANGO_DEBUG", True)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "allauth",
    "allauth.account",
    "privtraffic.accounts",
    "privtraffic.tenancy",
    "privtraffic.events",
    "crm",
    "communities",
    "chats",
    "campaigns",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (CONTENT_SECURITY_POLICY below) and Permissions-Policy on every response.
    "privtraffic.security_headers.ContentSecurityPolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A browser a customer joined on stays signed in to their chat (communities.join device sessions).
    "communities.join.middleware.DeviceSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "privtraffic.tenancy.middleware.RefuseBadTextMiddleware",
]

ROOT_URLCONF = "privtraffic.urls"
ASGI_APPLICATION = "privtraffic.asgi.application"
WSGI_APPLICATION = "privtraffic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database: PostgreSQL when DATABASE_URL is set, else SQLite under var/ ---
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    # Under uvicorn DB_CONN_MAX_AGE keeps the socket path's connection; an HTTP request's is closed when it
    # ends (privtraffic/asgi.py: each request has a thread of its own, so it could never be reused).
    # conn_health_checks: a persistent connection (DB_CONN_MAX_AGE) is checked before a request or task reuses
    # it, so a PostgreSQL restart costs a reconnect, not a failed request (tests/faults/test_postgres_restart.py).
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
                                                  conn_health_checks=True)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded default must start on a fresh clone
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "privtraffic.sqlite3",
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, Celery broker and cache when REDIS_URL is set ---
REDIS_URL = env_str("REDIS_URL", "")
EMBEDDED = not REDIS_URL

# Redis client timeouts, set explicitly rather than left to redis-py's defaults (redis-py >= 6 reads with
# a 5 s socket timeout, exactly as long as channels-redis blocks in BZPOPMIN: idle sockets died every 5 s).
# The read timeout must stay well above the longest blocking read (channels-redis 5 s, kombu BRPOP 1 s).
REDIS_SOCKET_TIMEOUT = max(env_int("REDIS_SOCKET_TIMEOUT", 30), 10)
REDIS_CONNECT_TIMEOUT = env_int("REDIS_CONNECT_TIMEOUT", 5)
REDIS_HEALTH_CHECK_INTERVAL = env_int("REDIS_HEALTH_CHECK_INTERVAL", 15)
REDIS_CLIENT_OPTIONS = {
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_keepalive": True,
    # A PING before a command on a connection idle this long: a connection Redis dropped is replaced.
    "health_check_interval": REDIS_HEALTH_CHECK_INTERVAL,
    # A timed-out or reset command is retried once on a fresh connection (a Redis restart, a failover).
    "retry_on_timeout": True,
}

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py >= 6 refuses a command past max_connections (default 100) instead of waiting: a burst of
            # socket connects or closes needs more than that at once.
            "CONFIG": {"hosts": [{"address": REDIS_URL, **REDIS_CLIENT_OPTIONS,
                                  "max_connections": env_int("CHANNEL_LAYER_MAX_CONNECTIONS", 2000)}],
                       "prefix": env_str("CHANNEL_LAYER_PREFIX", "asgi")},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "privtraffic.cache.SharedPoolRedisCache",  # one pool per process (privtraffic/cache.py)
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "pt"),
            "OPTIONS": dict(REDIS_CLIENT_OPTIONS),
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery: one app (privtraffic/celery.py); in-process when embedded ---
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
# No result is ever read: without this every .delay() re-resolved the (disabled) result backend through
# importlib.metadata entry points, about half the CPU of a chat send (py-spy, docs/benchmarks.md).
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", EMBEDDED)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# kombu's Redis transport: the same explicit timeouts (its BRPOP blocks 1 s). No retry_on_timeout here:
# kombu then gives up batched publishing, and Celery retries a lost broker connection itself.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_keepalive": True,
    "health_check_interval": REDIS_HEALTH_CHECK_INTERVAL,
}

# --- Campaigns: the dispatcher's pace, the fan-out's chunk, when a quiet run is re-queued ---
CAMPAIGN_DISPATCH_SECONDS = env_int("CAMPAIGN_DISPATCH_SECONDS", 5)
CAMPAIGN_CHUNK_SIZE = env_int("CAMPAIGN_CHUNK_SIZE", 1000)
CAMPAIGN_STALE_SECONDS = env_int("CAMPAIGN_STALE_SECONDS", 20)

# --- Outbound webhooks: targets on private/loopback addresses only when allowed (true only in `make run`) ---
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_DELIVERY_RETENTION_DAYS = env_int("WEBHOOK_DELIVERY_RETENTION_DAYS", 30)

# Periodic work, declared once: Celery beat runs it in the full stack and the
# in-process ticker of `make run` runs the very same tasks in the embedded default.
PERIODIC_TASKS = {
    "events-relay-pending": {"task": "privtraffic.events.tasks.relay_pending_events", "seconds": 30},
    "events-prune": {"task": "privtraffic.events.tasks.prune_events", "seconds": 3600},
    "idempotency-prune": {"task": "privtraffic.tenancy.tasks.prune_idempotency_records", "seconds": 3600},
    "crm-lifecycle-stages": {"task": "crm.tasks.refresh_lifecycle_stages", "seconds": 86400},
    "chats-prune-chat-tokens": {"task": "chats.tasks.prune_chat_tokens", "seconds": 3600},
    "campaigns-dispatch": {"task": "campaigns.tasks.dispatch_campaigns", "seconds": CAMPAIGN_DISPATCH_SECONDS},
    "chats-overview-rollups": {"task": "chats.tasks.fill_overview_rollups", "seconds": 3600},
    "webhooks-prune": {"task": "campaigns.webhooks.tasks.prune_webhook_deliveries", "seconds": 3600},
}
CELERY_BEAT_SCHEDULE = {
    name: {"task": entry["task"], "schedule": float(entry["seconds"])} for name, entry in PERIODIC_TASKS.items()
}

# --- Outbox ---
EVENTS_RETENTION_DAYS = env_int("EVENTS_RETENTION_DAYS", 7)
EVENTS_MAX_ATTEMPTS = env_int("EVENTS_MAX_ATTEMPTS", 12)

# --- Auth: email is the login, allauth for every human ---
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "tenancy:brand_home"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 600
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_ADAPTER = "privtraffic.accounts.adapters.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Private Traffic] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env_str("ACCOUNT_DEFAULT_HTTP_PROTOCOL", "http")
# Proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated): uvicorn's
# --forwarded-allow-ips. Empty trusts none, so the per-IP login and code limits key on the real peer
# (uvicorn's own default trusts loopback, where a spoofed header reset them). allauth reads REMOTE_ADDR.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
ALLAUTH_TRUSTED_PROXY_COUNT = 0

# --- Email: console in the embedded default, SMTP from the environment otherwise ---
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Private Traffic <no-reply@privtraffic.local>")

# --- SMS (django-sms): the join flow's phone codes. The console backend prints each text (the embedded
# default); a provider is a dotted path to a sms.backends.base.BaseSmsBackend subclass, e.g. django-sms's
# "sms.backends.twilio.SmsBackend" (pip install twilio; TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN) or your own.
SMS_BACKEND = env_str("SMS_BACKEND", "sms.backends.console.SmsBackend")
DEFAULT_FROM_SMS = env_str("DEFAULT_FROM_SMS", "")
# Per mobile number, counted in the cache (so shared by every process with Redis): wrong-code guesses allowed
# per hour (then 429, whatever the browser session), and codes texted per day.
PHONE_CODE_MAX_TRIES_PER_HOUR = max(env_int("PHONE_CODE_MAX_TRIES_PER_HOUR", 10), 1)
PHONE_CODES_PER_NUMBER_PER_DAY = max(env_int("PHONE_CODES_PER_NUMBER_PER_DAY", 10), 1)

# --- I18N / time: store UTC, show in the brand's zone ---
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- REST API (CONTRACT.md) ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["privtraffic.tenancy.api_auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["privtraffic.tenancy.api_auth.HasBrandApiKey"],
    "DEFAULT_PAGINATION_CLASS": "privtraffic.tenancy.api_auth.CursorPagination",
    "DEFAULT_THROTTLE_CLASSES": ["privtraffic.tenancy.api_auth.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": env_str("API_THROTTLE_RATE", "6000/min")},  # N/s, N/min, N/hour
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "privtraffic.tenancy.parsers.JSONParser",
        "privtraffic.tenancy.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "privtraffic.tenancy.api.api_exception_handler",
    # Documents every error response with the one error object (privtraffic/tenancy/schema.py).
    "DEFAULT_SCHEMA_CLASS": "privtraffic.tenancy.schema.BrandAutoSchema",
    "UNAUTHENTICATED_USER": None,
    # The API takes JSON bodies (the CSV import excepted): the test client sends JSON unless told otherwise.
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# --- Content-Security-Policy (django-csp 4) and Permissions-Policy -------------------------------
# Scripts and styles come from our own static files; an inline <script>/<style> needs the request's nonce
# (nonce="{{ request.csp_nonce }}", as the Swagger UI template does). connect-src also gets the page's own
# ws:// or wss:// origin (privtraffic.security_headers). Images may be data: URLs (QR codes, Swagger's icons).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", _csp_constants.NONCE],
        "style-src": ["'self'", _csp_constants.NONCE],
        # https: too: product cards and the catalogue show the brand's own product images (image_url).
        "img-src": ["'self'", "data:", "https:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# No page uses these browser features: none may, not even our own pages or frames.
PERMISSIONS_POLICY = {feature: [] for feature in (
    "accelerometer", "autoplay", "camera", "display-capture", "geolocation", "gyroscope", "magnetometer",
    "microphone", "midi", "payment", "usb", "browsing-topics")}

SPECTACULAR_SETTINGS = {
    "TITLE": "Private Traffic API",
    "DESCRIPTION": "Brand-scoped REST API. Authenticate with `Authorization: Bearer <api key>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {"OrderStatusEnum": "crm.models.OrderStatus",
                            "CampaignKindEnum": "campaigns.models.CampaignKind",
                            "MessageKindEnum": "chats.models.MessageKind",
                            "CouponKindEnum": "campaigns.models.CouponKind"},
    # OpenAPI links POST 201 `id` -> the `{id}` operations (create -> read -> update -> delete).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "privtraffic.tenancy.schema.add_crud_links",
    ],
}
IDEMPOTENCY_RETENTION_HOURS = env_int("IDEMPOTENCY_RETENTION_HOURS", 24)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Static files are served by WhiteNoise from the app folders; production collects them instead.
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", True)
WHITENOISE_AUTOREFRESH = DEBUG

# --- Chat ---
CHAT_TOKEN_TTL_SECONDS = env_int("CHAT_TOKEN_TTL_SECONDS", 3600)
# Flood control: at most CHAT_FLOOD_LIMIT messages per sender in CHAT_FLOOD_WINDOW_SECONDS.
CHAT_FLOOD_LIMIT = env_int("CHAT_FLOOD_LIMIT", 10)
CHAT_FLOOD_WINDOW_SECONDS = env_int("CHAT_FLOOD_WINDOW_SECONDS", 10)
# A socket without a session cookie must send {"type": "auth", "token": ...} within this many seconds (else 4401).
CHAT_AUTH_TIMEOUT_SECONDS = env_int("CHAT_AUTH_TIMEOUT_SECONDS", 10)
