"""Where a webhook may go: http(s) URLs whose host resolves only to public addresses (no SSRF).

A target is checked when an endpoint is saved and again at every send: the host is resolved, every
address it resolves to must be public (not private, loopback, link-local, multicast, reserved or
unspecified, also when mapped into IPv6), and the connection is then made to the address that was
checked, so a DNS answer that changes between the check and the connect cannot redirect it.
`settings.WEBHOOK_ALLOW_PRIVATE_TARGETS` lifts the address rule (the embedded `make run`, local testing).
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from privtraffic.tenancy.errors import ApplicationError
from privtraffic.tenancy.parsing import bad_text

MAX_URL_LENGTH = 2000


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written (the Host header and the TLS server name)
    port: int
    path: str  # path and query, at least "/"
    addresses: tuple[str, ...]  # resolved and checked, in the resolver's order


def _refused(message: str) -> ApplicationError:
    return ApplicationError("webhook_target_refused", message, fields={"url": [message]})


def url_parse(url: object) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of an http(s) URL, or `webhook_target_refused`."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH or bad_text(url):
        raise _refused(_("Enter an http or https URL of at most %(max)d characters.") % {"max": MAX_URL_LENGTH})
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise _refused(_("The URL may not contain spaces or control characters."))
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError:
        raise _refused(_("This is not a valid URL.")) from None
    if parts.scheme not in ("http", "https") or not host:
        raise _refused(_("Enter an http or https URL."))
    if parts.username is not None or parts.password is not None:
        raise _refused(_("Put no user name or password in the URL; verify the signature instead."))
    if parts.fragment:
        raise _refused(_("The URL may not have a #fragment."))
    try:
        host.encode("idna")
    except UnicodeError:
        raise _refused(_("This is not a valid host name.")) from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path


def address_is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and not address_is_public(str(embedded)):
            return False
    return ip.is_global and not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
                                 or ip.is_reserved or ip.is_unspecified)


def _resolve(host: str, port: int) -> tuple[str, ...]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise _refused(_("The host name %(host)s does not resolve.") % {"host": host}) from None
    addresses = tuple(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise _refused(_("The host name %(host)s does not resolve.") % {"host": host})
    return addresses


def target_resolve(url: object) -> Target:
    """Parse and resolve a webhook URL; refuse it if any address it resolves to is not public."""
    scheme, host, port, path = url_parse(url)
    addresses = _resolve(host, port)
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        for address in addresses:
            if not address_is_public(address):
                raise _refused(_("%(host)s resolves to a private, loopback or reserved address (%(address)s); "
                                 "webhooks go to public addresses only.") % {"host": host, "address": address})
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=addresses)


def target_check(url: object) -> str:
    """When an endpoint is saved: the URL is well formed and, unless private targets are allowed, resolves to
    public addresses only. Returns the URL."""
    if settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        url_parse(url)  # an internal name that only resolves where the sender runs is fine
    else:
        target_resolve(url)
    return url  # type: ignore[return-value]
