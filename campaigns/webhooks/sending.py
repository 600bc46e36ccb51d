"""One HTTP POST to a checked target: signed headers, a timeout, no redirects, the connection pinned to the
address that `targets.target_resolve` checked (the Host header and TLS name stay the URL's host)."""

import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from standardwebhooks.webhooks import Webhook

from .targets import Target

RESPONSE_EXCERPT = 2000  # characters of the response body kept in the delivery log
_READ_LIMIT = 64 * 1024
USER_AGENT = "PrivateTraffic-Webhooks/1.0"


@dataclass(frozen=True)
class Outcome:
    status: int | None
    body: str
    ms: int
    error: str


def signed_headers(*, secrets: list[str], msg_id: str, body: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers; with several secrets (a rotation), one `v1,` signature per secret."""
    signatures = [Webhook(secret).sign(msg_id=msg_id, timestamp=at, data=body) for secret in secrets]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def http_post(target: Target, *, headers: dict[str, str], body: str) -> Outcome:
    """POST `body` to the target (trying its checked addresses in order); never raises, never follows a
    redirect (a 3xx is an answer that is not 2xx)."""
    timeout = float(settings.WEBHOOK_TIMEOUT_SECONDS)
    started = time.monotonic()
    data = body.encode("utf-8")
    error = ""
    for address in target.addresses:
        cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
        connection = cls(target.host, target.port, address=address, timeout=timeout)
        try:
            try:
                connection.connect()
            except OSError as exc:  # refused, unreachable: the next address may answer
                error = _describe(exc)
                continue
            connection.request("POST", target.path, body=data, headers=headers)
            response = connection.getresponse()
            chunks, size = [], 0
            while size < _READ_LIMIT and time.monotonic() - started < timeout:
                chunk = response.read1(8192) if hasattr(response, "read1") else response.read(8192)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            text = b"".join(chunks).decode("utf-8", errors="replace")[:RESPONSE_EXCERPT]
            return Outcome(status=response.status, body=text, ms=_ms(started), error="")
        except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
            return Outcome(status=None, body="", ms=_ms(started), error=_describe(exc))
        finally:
            connection.close()
    return Outcome(status=None, body="", ms=_ms(started), error=error or "no address to connect to")


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"timed out after {settings.WEBHOOK_TIMEOUT_SECONDS} s"
    return f"{type(exc).__name__}: {exc}"[:500]
