# The one image behind web, worker and beat in docker-compose.yml.
FROM python:3.11-slim

# PYTHONPATH=/app: import the project from /app rather than site-packages, so
# BASE_DIR in the settings points at /app and finds templates/ and static/.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=privtraffic.settings.production \
    PRIVTRAFFIC_VAR_DIR=/var/lib/privtraffic

WORKDIR /app

# Only what the platform needs at run time (the build context also holds .venv, var/, tests/ ...).
COPY pyproject.toml constraints.txt README.md manage.py ./
COPY privtraffic ./privtraffic
COPY crm ./crm
COPY communities ./communities
COPY chats ./chats
COPY campaigns ./campaigns
COPY templates ./templates
COPY static ./static
COPY locale ./locale

# The versions CI tested (constraints.txt). The production settings insist on a secret key,
# DATABASE_URL and REDIS_URL; collectstatic touches neither the database nor Redis, so placeholders do.
RUN pip install -c constraints.txt . \
    && DJANGO_SECRET_KEY=collectstatic-only \
       DATABASE_URL=postgres://build@localhost/build \
       REDIS_URL=redis://localhost:6379/0 \
       python manage.py collectstatic --noinput \
    && rm -rf build ./*.egg-info \
    && useradd --system --home-dir /app --shell /usr/sbin/nologin privtraffic \
    && mkdir -p "$PRIVTRAFFIC_VAR_DIR" \
    && chown privtraffic:privtraffic "$PRIVTRAFFIC_VAR_DIR"

USER privtraffic
EXPOSE 8000

# docker-compose.yml runs migrations before this; worker and beat override the command.
# Forwarded headers are believed only from TRUSTED_PROXIES (none by default).
CMD ["sh", "-c", "exec uvicorn privtraffic.asgi:application --host 0.0.0.0 --port 8000 --proxy-headers --forwarded-allow-ips \"${TRUSTED_PROXIES:-}\""]
