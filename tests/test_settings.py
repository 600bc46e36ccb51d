"""Settings come from the environment: embedded by default, full stack when URLs are set."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "broker": settings.CELERY_BROKER_URL,
    "debug": settings.DEBUG,
    "hosts": settings.ALLOWED_HOSTS,
    "email": settings.EMAIL_BACKEND,
}))
"""


def _settings(env: dict, module: str = "privtraffic.settings.base") -> dict:
    full_env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": module, **env}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=full_env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_embedded_default_without_urls(tmp_path):
    s = _settings({"PRIVTRAFFIC_VAR_DIR": str(tmp_path)})
    assert s["engine"] == "django.db.backends.sqlite3" and s["db_name"].startswith(str(tmp_path))
    assert s["layer"] == "channels.layers.InMemoryChannelLayer"
    assert s["eager"] is True and s["broker"] == "memory://"
    assert s["email"].endswith("console.EmailBackend")


def test_full_stack_from_urls():
    s = _settings({"DATABASE_URL": "postgres://u:p@db.internal:5432/pt", "REDIS_URL": "redis://cache.internal:6379/0"})
    assert s["engine"] == "django.db.backends.postgresql" and s["db_name"] == "pt"
    assert s["layer"] == "channels_redis.core.RedisChannelLayer"
    assert s["eager"] is False and s["broker"] == "redis://cache.internal:6379/0"


def test_plain_values_from_env():
    s = _settings({"DJANGO_DEBUG": "false", "DJANGO_ALLOWED_HOSTS": "a.example, b.example"})
    assert s["debug"] is False and s["hosts"] == ["a.example", "b.example"]


def test_bad_boolean_is_a_clear_error():
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "privtraffic.settings.base", "DJANGO_DEBUG": "maybe"}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "DJANGO_DEBUG must be true or false" in result.stderr


def test_production_requires_secrets_and_passes_deploy_check():
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "privtraffic.settings.production"}
    missing = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert missing.returncode != 0 and "DJANGO_SECRET_KEY" in missing.stderr
    env.update({
        "DJANGO_SECRET_KEY": "x" * 64 + "-production-secret-with-enough-entropy",
        "DJANGO_ALLOWED_HOSTS": "shop.example",
        "DATABASE_URL": "postgres://u:p@db.internal:5432/pt",
        "REDIS_URL": "redis://cache.internal:6379/0",
    })
    # Texts that are only printed (the embedded default) would leave customers waiting for a code.
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "privtraffic.W001" in result.stderr + result.stdout
    env["SMS_BACKEND"] = "sms.backends.twilio.SmsBackend"
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + result.stdout


HSTS_PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps([settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_PRELOAD, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS]))
"""
PRODUCTION_ENV = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "privtraffic.settings.production",
                  "DJANGO_SECRET_KEY": "x" * 64, "DATABASE_URL": "postgres://u:p@db.internal:5432/pt",
                  "REDIS_URL": "redis://cache.internal:6379/0"}


def _hsts(**env):
    result = subprocess.run([sys.executable, "-c", HSTS_PROBE], cwd=ROOT, env={**PRODUCTION_ENV, **env},
                            capture_output=True, text=True)
    return result.returncode, result.stdout, result.stderr


def test_hsts_is_a_year_and_preload_only_when_configured():
    code, out, err = _hsts()
    assert code == 0 and json.loads(out) == [31536000, False, True], err
    code, out, err = _hsts(DJANGO_SECURE_HSTS_PRELOAD="true")
    assert code == 0 and json.loads(out) == [31536000, True, True], err
    code, _out, err = _hsts(DJANGO_SECURE_HSTS_PRELOAD="true", DJANGO_SECURE_HSTS_SECONDS=str(60 * 60 * 24 * 30))
    assert code != 0 and "at least 31536000" in err
