"""One-time messages shown on the next page ("Точка сохранена"), kept in a signed cookie."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from fastapi import Request
from starlette.responses import Response

COOKIE = "ok_flash"


def _sign(secret: str, data: bytes) -> str:
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()[:32]


def add(request: Request, message: str, kind: str = "success") -> None:
    """Queue a message; `FlashMiddleware` writes the cookie when the response leaves."""
    request.state.new_flashes = [*getattr(request.state, "new_flashes", []), {"kind": kind, "text": message}]


def pop(request: Request) -> list[dict]:
    """Messages queued for this page: those from the cookie and those added during this request."""
    shown = getattr(request.state, "shown_flashes", None)
    if shown is None:
        shown = _read(request)
        request.state.shown_flashes = shown
        request.state.flash_consumed = True
    pending = getattr(request.state, "new_flashes", [])
    request.state.new_flashes = []
    return shown + pending


def _read(request: Request) -> list[dict]:
    raw = request.cookies.get(COOKIE, "")
    payload, _, signature = raw.rpartition(".")
    secret = request.app.state.settings.secret_key
    if not payload or not hmac.compare_digest(signature, _sign(secret, payload.encode())):
        return []
    try:
        return json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        return []


def store(request: Request, response: Response) -> None:
    """Write messages not yet shown into the cookie; drop the cookie once they were shown."""
    pending = getattr(request.state, "new_flashes", [])
    if pending:
        payload = base64.urlsafe_b64encode(json.dumps(pending).encode()).decode()
        signature = _sign(request.app.state.settings.secret_key, payload.encode())
        response.set_cookie(
            COOKIE, f"{payload}.{signature}", httponly=True, samesite="lax",
            secure=request.app.state.settings.cookie_secure,
        )
    elif getattr(request.state, "flash_consumed", False) and COOKIE in request.cookies:
        response.delete_cookie(COOKIE)
