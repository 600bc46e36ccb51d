"""Helpers shared by the tests: API error assertions, free ports, signed-in session cookies.

Only the standard library is imported at module level: tests/testenv.py (run before Django is set
up) takes free_port() from here too.
"""

import socket


def api_error(response, status: int, code: str) -> dict:
    """Assert the CONTRACT.md error object: exactly {"error": {code, message, fields}}; return the error."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["code"] == code
    assert error["message"]
    assert isinstance(error["fields"], dict)
    return error


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def session_cookie(user) -> str:
    """The value of a session cookie signed in as `user` (through Django's test client)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def browser_session_cookie(url: str, user) -> dict:
    """The same, as a Playwright cookie for the server at `url`: `context.add_cookies([...])`."""
    from django.conf import settings

    return {"name": settings.SESSION_COOKIE_NAME, "value": session_cookie(user), "url": url}
