"""`make run`: migrate, seed the demo once, then serve HTTP + WebSocket with the ticker."""

import uvicorn
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from privtraffic.tenancy.demo import DEMO_LOGINS, DEMO_PASSWORD
from privtraffic.ticker import PeriodicTicker


def uvicorn_proxy_options() -> dict:
    """Forwarded headers believed only from TRUSTED_PROXIES (none by default)."""
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(settings.TRUSTED_PROXIES)}


class Command(BaseCommand):
    help = "Serve the platform on HOST:PORT (uvicorn, HTTP and WebSocket) with the in-process ticker."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-seed", action="store_true", help="Do not create the demo brand.")
        parser.add_argument("--no-ticker", action="store_true", help="Leave periodic work to Celery beat.")

    def handle(self, *args, host, port, no_seed, no_ticker, **opts):
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        if not no_seed:
            call_command("seed_demo")
        mode = "embedded (SQLite, in-memory channel layer, in-process tasks)" if settings.EMBEDDED else "full stack"
        self.stdout.write(f"\nPrivate Traffic is running in {mode} mode at http://{host}:{port}/")
        if not no_seed:
            self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
            for role, email in DEMO_LOGINS:
                self.stdout.write(f"  {role:14} {email}")
        self.stdout.write("Press Ctrl-C to stop.\n")

        ticker = None if no_ticker else PeriodicTicker()
        if ticker:
            ticker.start()
        try:
            config = uvicorn.Config(
                "privtraffic.asgi:application", host=host, port=port, lifespan="off", log_level="info",
                **uvicorn_proxy_options(),
            )
            # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal so the
            # process ends the way it was asked to: Ctrl-C arrives here as KeyboardInterrupt.
            uvicorn.Server(config).run()
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
        finally:
            if ticker:
                ticker.stop()
