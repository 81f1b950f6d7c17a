"""CSRF protection (double-submit cookie) and the language of each request."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request

from openkassa.i18n import LANGUAGES, negotiate

CSRF_COOKIE = "ok_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
LANGUAGE_COOKIE = "ok_lang"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token_for(request: Request) -> tuple[str, bool]:
    """The request's CSRF token, and whether it is new (and must be set as a cookie)."""
    token = request.cookies.get(CSRF_COOKIE, "")
    if len(token) >= 32:
        return token, False
    return secrets.token_urlsafe(32), True


async def csrf_is_valid(request: Request) -> bool:
    """A state-changing request must echo the cookie's token in a header or a form field."""
    if request.method in SAFE_METHODS:
        return True
    expected = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = str((await request.form()).get(CSRF_FIELD, ""))
    return bool(expected) and hmac.compare_digest(expected, sent)


def language_for(request: Request) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    return chosen if chosen in LANGUAGES else negotiate(request.headers.get("accept-language"))
