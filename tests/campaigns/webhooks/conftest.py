"""A real HTTP receiver in a thread: it records every request and answers what the test tells it."""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0
    answer: bytes = b'{"ok": true}'
    location: str = ""


@pytest.fixture
def receiver():
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8")
            state.requests.append(Received(path=self.path, headers={k.lower(): v for k, v in self.headers.items()},
                                           body=body))
            if state.delay:
                time.sleep(state.delay)
            try:
                self.send_response(state.status)
                if state.location:
                    self.send_header("Location", state.location)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(state.answer)))
                self.end_headers()
                self.wfile.write(state.answer)
            except OSError:
                pass  # the client gave up (a timeout test)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/in"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def private_ok(settings):
    """The embedded `make run` setting: targets on loopback (the receiver) are allowed."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    return settings
