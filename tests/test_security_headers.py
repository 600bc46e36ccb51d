"""Content-Security-Policy and Permissions-Policy on every response (privtraffic/security_headers.py and the
settings), and templates that need no inline code the policy would refuse."""

import re
from pathlib import Path

import pytest

from tests import factories

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db


def _directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/api/docs/", "/api/v1/customers/", "/chat/",
                                  "/join/nope/", "/no-such-page/"])
def test_every_response_has_the_policies(client, path):
    response = client.get(path)
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    permissions = response["Permissions-Policy"]
    assert "camera=()" in permissions and "microphone=()" in permissions and "geolocation=()" in permissions


def test_dashboard_pages_carry_the_policies(login, brand):
    response = login(factories.owner_of(brand)).get(f"/b/{brand.slug}/inbox/")
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"] and response["Permissions-Policy"]


def test_the_socket_of_the_same_host_is_allowed_and_no_other(client):
    plain = _directives(client.get("/").headers["Content-Security-Policy"])
    assert plain["connect-src"] == ["'self'", "ws://testserver"]
    secure = _directives(client.get("/", secure=True).headers["Content-Security-Policy"])
    assert secure["connect-src"] == ["'self'", "wss://testserver"]


def test_swagger_ui_inline_code_carries_the_request_nonce(client):
    response = client.get("/api/docs/")
    html = response.content.decode()
    nonces = set(re.findall(r'nonce="([^"]+)"', html))
    assert len(nonces) == 1
    nonce = nonces.pop()
    policy = _directives(response["Content-Security-Policy"])
    assert f"'nonce-{nonce}'" in policy["script-src"] and f"'nonce-{nonce}'" in policy["style-src"]
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) + re.findall(r"<style[^>]*>", html)
    assert len(inline) == 2 and all(f'nonce="{nonce}"' in tag for tag in inline)
    # A page that needs no nonce sends none (the nonce is added only when a template uses it).
    assert "nonce-" not in client.get("/accounts/login/")["Content-Security-Policy"]


INLINE_CODE = [
    (re.compile(r"<script(?![^>]*\b(?:src|nonce)=)(?![^>]*type=\"application/json\")[^>]*>"), "inline <script>"),
    (re.compile(r"<style(?![^>]*\bnonce=)[^>]*>"), "inline <style>"),
    (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "inline event handler"),
    (re.compile(r"\sstyle\s*=", re.IGNORECASE), "style attribute"),
    (re.compile(r"javascript:", re.IGNORECASE), "javascript: URL"),
]


def test_templates_and_scripts_need_no_inline_code():
    """What the policy would refuse in a browser (tests/browser checks the pages themselves)."""
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text()
        found += [f"{path.relative_to(ROOT)}: {what}" for pattern, what in INLINE_CODE if pattern.search(text)]
    for path in sorted((ROOT / "static").rglob("*.js")):
        text = path.read_text()
        if re.search(r"\beval\(|new Function\(|setAttribute\(\s*[\"'](?:style|on[a-z]+)[\"']|innerHTML", text):
            found.append(f"{path.relative_to(ROOT)}: code the policy refuses (eval, style/on* attributes, markup)")
    assert not found, found
