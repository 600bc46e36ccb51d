"""Content-Security-Policy (django-csp) with the page's own WebSocket origin allowed.

The policy itself is `CONTENT_SECURITY_POLICY` in settings; this middleware only adds `ws://host` (or
`wss://host` over https) of the request's own host to `connect-src`, so the inbox and the customer chat
reach their socket in browsers whose `'self'` does not cover WebSocket schemes, and nothing else is
allowed. Templates that need an inline `<script>` or `<style>` mark it `nonce="{{ request.csp_nonce }}"`.
"""

from csp.middleware import CSPMiddleware, PolicyParts
from django.core.exceptions import DisallowedHost


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request=request, response=response, report_only=report_only)
        try:
            host = request.get_host()
        except DisallowedHost:
            return parts
        socket_origin = f"{'wss' if request.is_secure() else 'ws'}://{host}"
        update = dict(parts.update or {})
        update["connect-src"] = [*update.get("connect-src", []), socket_origin]
        parts.update = update
        return parts
