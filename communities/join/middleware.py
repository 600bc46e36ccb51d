"""Device sessions at the edge: a browser a customer joined on stays signed in to their chat.

- An anonymous request carrying a valid device cookie (signed, naming a live DeviceSession) is signed in as
  that customer's login: returning devices go straight to the chat, also after the Django session expired.
- A signed-in request that was restored from a device session checks, once per request, that the session
  was not revoked meanwhile (forgotten, erased), and signs the browser out if it was.
- Signing out (allauth's logout, "forget this device") ends the device session and drops the cookie, so
  signing out sticks.

Views ask for a cookie to be set with `remember_device(request, device, secret)`.
"""

from django.conf import settings
from django.contrib.auth import login, logout
from django.core.signing import BadSignature

from .selectors import device_session_for_cookie, device_session_live
from .services import device_session_revoke, device_session_seen

COOKIE = "pt_device"
SALT = "communities.join.device"
SESSION_KEY = "device_session_id"
MAX_AGE = 60 * 60 * 24 * 365  # a year; revocable at any time
BACKEND = "django.contrib.auth.backends.ModelBackend"


def remember_device(request, device, secret: str) -> None:
    """Sign this browser in as the device session's login and have the response set its cookie."""
    login(request, device.user, backend=BACKEND)
    request.session[SESSION_KEY] = device.pk
    request._device_cookie = f"{device.pk}.{secret}"


def forget_device(request) -> None:
    """End this browser's device session (if any), sign it out and have the response drop the cookie."""
    device_id = request.session.get(SESSION_KEY)
    if device_id is not None and request.user.is_authenticated:
        device_session_revoke(device_id=device_id, user=request.user)
    logout(request)
    request._device_forget = True


class DeviceSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        forget = False
        device_id = request.session.get(SESSION_KEY)
        if device_id is not None and request.user.is_authenticated:
            if not device_session_live(device_id=device_id, user_id=request.user.pk):
                logout(request)
                forget = True
        elif COOKIE in request.COOKIES and not request.user.is_authenticated:
            device = self._from_cookie(request)
            if device is None:
                forget = True
            else:
                login(request, device.user, backend=BACKEND)
                request.session[SESSION_KEY] = device.pk
                device_session_seen(device=device)
        restored = request.session.get(SESSION_KEY)
        user = request.user if restored is not None and request.user.is_authenticated else None
        response = self.get_response(request)
        if user is not None and not request.user.is_authenticated:
            # Signed out during this request (allauth's logout flushes the session): end the device too.
            device_session_revoke(device_id=restored, user=user)
            forget = True
        if getattr(request, "_device_forget", False) or forget:
            response.delete_cookie(COOKIE, samesite="Lax")
        cookie = getattr(request, "_device_cookie", None)
        if cookie:
            response.set_signed_cookie(COOKIE, cookie, salt=SALT, max_age=MAX_AGE, httponly=True, samesite="Lax",
                                       secure=settings.SESSION_COOKIE_SECURE)
        return response

    @staticmethod
    def _from_cookie(request):
        try:
            value = request.get_signed_cookie(COOKIE, salt=SALT, max_age=MAX_AGE)
        except (BadSignature, ValueError):
            return None
        return device_session_for_cookie(value=value)
