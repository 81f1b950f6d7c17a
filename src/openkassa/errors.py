"""The one hierarchy of domain errors; each has an HTTP status and a stable code.

JSON errors share one shape: {"error": {"code", "message", "fields": {...}}}.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from openkassa.i18n import _

M = TypeVar("M", bound=BaseModel)


class DomainError(Exception):
    """A rule of the domain refused the request."""

    status = 400
    code = "error"

    def __init__(self, message: str | None = None, *, fields: dict[str, str] | None = None):
        self.message = message or self.default_message()
        self.fields = fields or {}
        super().__init__(self.message)

    def default_message(self) -> str:
        return _("The request was refused.")

    def as_json(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


class NotFound(DomainError):
    """The thing does not exist, or belongs to another account (never say which)."""

    status = 404
    code = "not_found"

    def default_message(self) -> str:
        return _("Not found.")


class Conflict(DomainError):
    """The request clashes with the current state (a taken e-mail, a used code)."""

    status = 409
    code = "conflict"


class Invalid(DomainError):
    """The input is wrong; `fields` names each bad field and why."""

    status = 422
    code = "invalid"

    def default_message(self) -> str:
        return _("Please correct the marked fields.")


class Unauthorized(DomainError):
    """Who is asking is not known (no session, a wrong password, a dead token)."""

    status = 401
    code = "unauthorized"

    def default_message(self) -> str:
        return _("Please sign in.")


class Forbidden(DomainError):
    """The user is known, but their role does not allow this."""

    status = 403
    code = "forbidden"

    def default_message(self) -> str:
        return _("Your role does not allow this.")


class PlanLimit(DomainError):
    """The account's plan does not include this feature or this many items."""

    status = 402
    code = "plan_limit"


class TooManyRequests(DomainError):
    """Too many attempts; try again after `retry_after` seconds."""

    status = 429
    code = "too_many_requests"

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__()

    def default_message(self) -> str:
        return _("Too many attempts. Try again in {minutes} min.").format(
            minutes=max(1, -(-self.retry_after // 60))
        )


def message_for(error: dict) -> str:
    """A translated message for one pydantic error."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return _("Required.")
    if kind == "string_too_short":
        return _("At least {n} characters.").format(n=ctx["min_length"])
    if kind == "string_too_long":
        return _("At most {n} characters.").format(n=ctx["max_length"])
    if kind in ("int_parsing", "int_type", "decimal_parsing", "float_parsing"):
        return _("Enter a number.")
    if kind in ("greater_than_equal", "greater_than"):
        return _("Must be at least {n}.").format(n=ctx.get("ge", ctx.get("gt")))
    if kind in ("less_than_equal", "less_than"):
        return _("Must be at most {n}.").format(n=ctx.get("le", ctx.get("lt")))
    if kind in ("enum", "literal_error"):
        return _("Choose one of the offered values.")
    if kind == "value_error" and "email" in str(error.get("msg", "")).lower():
        return _("Enter a valid e-mail address.")
    if kind == "string_pattern_mismatch":
        return _("Wrong format.")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind in ("bool_parsing", "bool_type"):
        return _("Choose yes or no.")
    if kind in ("list_type", "too_short") and ctx.get("min_length", 1) >= 1:
        return _("Choose at least one.")
    if kind in ("uuid_parsing", "uuid_type"):
        return _("Not found.")
    if kind == "value_error":  # our own validators raise ValueError with a translated message
        return str(error.get("msg", "")).removeprefix("Value error, ")
    return _("Wrong value.")


def invalid_from(error: ValidationError) -> Invalid:
    """Turn a pydantic ValidationError into Invalid with one message per field."""
    fields: dict[str, str] = {}
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"] if not isinstance(part, int)) or "__all__"
        fields.setdefault(name, message_for(item))
    return Invalid(fields=fields)


def validate(model: type[M], data: dict) -> M:
    """Build a pydantic model from input, turning its errors into Invalid with field messages."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_from(exc) from None
