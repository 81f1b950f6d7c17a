"""CSRF protection (double-submit cookie) and the language of each request."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request
from starlette.responses import Response

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


def rotate_csrf_cookie(response: Response, *, secure: bool) -> None:
    """A new token at sign-in and sign-out: a token planted or seen before cannot be replayed."""
    response.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(32), httponly=True, samesite="lax", secure=secure)


def _matches(request: Request, sent: str) -> bool:
    expected = request.cookies.get(CSRF_COOKIE, "")
    return bool(expected) and hmac.compare_digest(expected.encode(), sent.encode())


def csrf_header_is_valid(request: Request) -> bool:
    """A state-changing JSON call with the session cookie must echo the token in X-CSRF-Token."""
    return request.method in SAFE_METHODS or _matches(request, request.headers.get(CSRF_HEADER, ""))


async def csrf_is_valid(request: Request) -> bool:
    """A state-changing page request must echo the token in the header (HTMX) or a form field."""
    if csrf_header_is_valid(request):
        return True
    if request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return _matches(request, str((await request.form()).get(CSRF_FIELD, "")))
    return False


def is_cross_site(request: Request) -> bool:
    """Did a browser send this request from another site (Sec-Fetch-Site, else Origin)?"""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if not origin:
        return False
    return urlsplit(origin).netloc != request.headers.get("host", "")


def language_for(request: Request) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    return chosen if chosen in LANGUAGES else negotiate(request.headers.get("accept-language"))
