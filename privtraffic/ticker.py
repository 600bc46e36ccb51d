"""The in-process stand-in for Celery beat in the embedded default.

It runs the same PERIODIC_TASKS that beat runs in the full stack, in a daemon
thread, each at its own interval. Schedules of business work (campaign
send_at, ...) live in the database, so a restart loses nothing.
"""

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections

from privtraffic.celery import app as celery_app

logger = logging.getLogger(__name__)


class PeriodicTicker:
    def __init__(self, schedule: dict | None = None, resolution: float = 1.0):
        self.schedule = schedule if schedule is not None else settings.PERIODIC_TASKS
        self.resolution = resolution
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_run: dict[str, float] = {}

    def run_due(self, now: float) -> list[str]:
        """Run every task whose interval has passed; returns the names run."""
        ran = []
        for name, entry in self.schedule.items():
            if now < self._next_run.get(name, 0.0):
                continue
            self._next_run[name] = now + float(entry["seconds"])
            try:
                celery_app.tasks[entry["task"]].apply()
            except Exception:
                logger.exception("Periodic task %s failed", name)
            ran.append(name)
        return ran

    def start(self) -> None:
        celery_app.loader.import_default_modules()
        self._thread = threading.Thread(target=self._loop, name="periodic-ticker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_due(time.monotonic())
            close_old_connections()  # this thread's connection, like a request's, is not kept forever
            self._stop.wait(self.resolution)
