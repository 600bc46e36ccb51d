"""The one error type for business-rule failures.

Services raise it; a single handler per surface turns it into the API error
object (tenancy.api), a form error (tenancy.forms) or a socket error frame.
"""

from typing import Any


class ApplicationError(Exception):
    def __init__(self, code: str, message: str, *, fields: dict[str, Any] | None = None, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.status = status

    def as_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": str(self.message), "fields": self.fields}}

    @classmethod
    def not_found(cls, what: str = "object") -> "ApplicationError":
        # Missing and other-brand look the same on purpose: never confirm an id exists elsewhere.
        return cls("not_found", f"No such {what}.", status=404)

    @classmethod
    def forbidden(cls, message: str) -> "ApplicationError":
        return cls("forbidden", message, status=403)
