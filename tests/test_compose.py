"""docker-compose.yml, the Dockerfile and `make run-full` describe the same full stack.

Pure file parsing: no database, no Docker, no Django setup needed.
"""

import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_DIR = ROOT / "privtraffic" / "settings"
APP_SERVICES = ("web", "worker", "beat")
ASGI_APP = "privtraffic.asgi:application"
ENV_READ = re.compile(r"""(?:env_str|env_bool|env_int|env_list|os\.environ\.get)\(\s*["']([A-Z][A-Z0-9_]*)["']""")


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _services() -> dict:
    return _compose()["services"]


def _command(service: dict) -> str:
    command = service["command"]
    return command if isinstance(command, str) else " ".join(command)


def _settings_env_names() -> set[str]:
    names = {"DJANGO_SETTINGS_MODULE"}
    for path in SETTINGS_DIR.glob("*.py"):
        names |= set(ENV_READ.findall(path.read_text()))
    return names


def _shared_env() -> dict:
    return _services()["web"]["environment"]


def _makefile_recipe(target: str) -> str:
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(rf"^{re.escape(target)}\s*:", line))
    recipe = []
    for line in lines[start + 1:]:
        if line.startswith("\t") or (recipe and recipe[-1].endswith("\\")):
            recipe.append(line.strip())
        elif line.strip() == "" or line.startswith("#"):
            continue
        else:
            break
    return "\n".join(recipe)


def test_compose_has_the_five_services():
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(_services())


def test_backing_services_use_the_pinned_images():
    services = _services()
    assert services["postgres"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"


def test_web_runs_uvicorn_with_the_asgi_app_after_migrating():
    command = _command(_services()["web"])
    assert re.search(rf"\buvicorn\s+{re.escape(ASGI_APP)}\b", command)
    assert "--proxy-headers" in command
    assert "0.0.0.0" in command
    migrate = command.find("manage.py migrate --noinput")
    assert 0 <= migrate < command.find("uvicorn"), "web must migrate before it serves"


@pytest.mark.parametrize(("service", "role"), [("worker", "worker"), ("beat", "beat")])
def test_worker_and_beat_run_the_project_celery_app(service, role):
    assert f"celery -A privtraffic {role}" in _command(_services()[service])


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_wait_for_healthy_postgres_and_redis(service):
    depends_on = _services()[service]["depends_on"]
    assert isinstance(depends_on, dict), "use the long form with conditions"
    for backing in ("postgres", "redis"):
        assert depends_on[backing]["condition"] == "service_healthy"


@pytest.mark.parametrize("service", ["postgres", "redis", "web"])
def test_healthchecks_exist(service):
    test = _services()[service]["healthcheck"]["test"]
    assert test and test != ["NONE"]


def test_healthchecks_probe_the_right_thing():
    services = _services()
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "redis-cli ping" in " ".join(services["redis"]["healthcheck"]["test"])
    web_check = " ".join(services["web"]["healthcheck"]["test"])
    assert "urllib" in web_check
    assert "/healthz" in web_check


def test_app_services_share_one_environment():
    services = _services()
    environments = [services[name]["environment"] for name in APP_SERVICES]
    assert isinstance(environments[0], dict) and environments[0]
    assert all(env == environments[0] for env in environments)


def test_shared_environment_uses_only_names_the_settings_read():
    unknown = set(_shared_env()) - _settings_env_names()
    assert not unknown, f"docker-compose.yml sets variables no setting reads: {sorted(unknown)}"


def test_settings_env_parser_finds_the_names_it_should():
    # Guards the test above against a parser that finds nothing and so accepts nothing.
    names = _settings_env_names()
    assert {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "SITE_URL",
            "EMAIL_BACKEND", "EMAIL_HOST"} <= names


def test_shared_environment_selects_production_settings_and_the_compose_hosts():
    env = _shared_env()
    assert env["DJANGO_SETTINGS_MODULE"] == "privtraffic.settings.production"
    for name in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "SITE_URL", "EMAIL_BACKEND", "EMAIL_HOST"):
        assert name in env
    database, redis = urlsplit(env["DATABASE_URL"]), urlsplit(env["REDIS_URL"])
    assert database.scheme in {"postgres", "postgresql"}
    assert database.hostname == "postgres"
    assert redis.scheme == "redis"
    assert redis.hostname == "redis"


def test_dockerfile_installs_the_project_on_python_311_slim():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.MULTILINE)
    # The versions CI tested: the install takes constraints.txt, and the image carries the translations.
    assert "pip install -c constraints.txt ." in dockerfile
    assert re.search(r"^COPY locale \./locale$", dockerfile, re.MULTILINE)
    assert _services()["web"]["build"] in (".", {"context": "."})


def test_make_run_full_starts_the_same_processes_as_compose():
    recipe = _makefile_recipe("run-full")
    uvicorn = re.search(r"\buvicorn\s+(\S+)", recipe)
    assert uvicorn and uvicorn.group(1) == ASGI_APP
    compose_app = shlex.split(_command(_services()["web"]).split("uvicorn", 1)[1])[0]
    assert compose_app == uvicorn.group(1)
    assert "celery -A privtraffic worker" in recipe
    assert "celery -A privtraffic beat" in recipe
