"""Who a socket is, from its session cookie: Channels' AuthMiddlewareStack without the costs sockets never use.

`AuthMiddlewareStack` (cookie, session and auth middleware) resolves `scope["user"]` on the one
thread-sensitive thread even for a socket that has no session cookie (an integrator's app authenticating with a
chat token in its first frame), and wraps the socket's `send` so that every frame written to it asks the lazy
session whether it was modified (a session is saved only on an HTTP response, which a socket never sends). On a
500-socket group that check was about a quarter of the event loop's time per delivered frame (bench/notes.md,
"Connect path").

Here a socket without the session cookie gets an anonymous user and no session, with no database hop; a socket
with it gets its session (read lazily, as before) and its user resolved as Channels' auth middleware resolves it
(`channels.auth.get_user`: the session's user, its auth hash verified, an invalid session flushed). `send` is
never wrapped.
"""

from channels.auth import get_user
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.cookie import parse_cookie
from django.utils.module_loading import import_string


def _cookies(scope) -> dict[str, str]:
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            return parse_cookie(value.decode("latin1"))
    return {}


class SocketAuthMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        cookies = _cookies(scope)
        session_key = cookies.get(settings.SESSION_COOKIE_NAME)
        scope = dict(scope, cookies=cookies)
        if not session_key:
            scope["user"] = AnonymousUser()
            return await self.inner(scope, receive, send)
        scope["session"] = import_string(f"{settings.SESSION_ENGINE}.SessionStore")(session_key)
        scope["user"] = await get_user(scope)
        return await self.inner(scope, receive, send)
