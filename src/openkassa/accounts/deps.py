"""Who is asking: the signed-in user of a page, or of a JSON API call (cookie, HTTP Basic or an API key)."""

from __future__ import annotations

import binascii
from base64 import b64decode
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from fastapi.security.utils import get_authorization_scheme_param

from openkassa.accounts import service
from openkassa.accounts.service import Actor
from openkassa.credentials import service as credentials_service
from openkassa.credentials.scopes import route_key_access
from openkassa.errors import Forbidden, Unauthorized
from openkassa.i18n import _
from openkassa.web.deps import ClientIp, DbSession
from openkassa.web.security import SAFE_METHODS, csrf_header_is_valid, is_cross_site

SESSION_COOKIE = "ok_session"


class _Utf8Basic(HTTPBasic):
    """HTTP Basic credentials read as UTF-8 (RFC 7617), so Cyrillic passwords work.

    FastAPI's own scheme decodes ASCII only and answers other bytes with its own 401.
    """

    async def __call__(self, request: Request) -> HTTPBasicCredentials | None:  # type: ignore[override]
        scheme, param = get_authorization_scheme_param(request.headers.get("Authorization"))
        if scheme.lower() != "basic":
            return None
        try:
            username, separator, password = b64decode(param, validate=True).decode("utf-8").partition(":")
        except (ValueError, binascii.Error):  # UnicodeDecodeError is a ValueError
            separator = ""
        if not separator:
            raise Unauthorized(_("Send the e-mail and the password in the Authorization header."))
        return HTTPBasicCredentials(username=username, password=password)


_basic = _Utf8Basic(auto_error=False, realm="OpenKassa")


def _remember(request: Request, actor: Actor | None) -> Actor | None:
    request.state.actor = actor
    return actor


def _session_actor(request: Request, db: DbSession) -> Actor | None:
    token = request.cookies.get(SESSION_COOKIE)
    return _remember(request, service.actor_for_session(db, token=token) if token else None)


MaybeActor = Annotated[Actor | None, Depends(_session_actor)]


def _page_actor(actor: MaybeActor) -> Actor:
    if actor is None:
        raise Unauthorized()
    return actor


CurrentActor = Annotated[Actor, Depends(_page_actor)]


def _api_actor(
    request: Request,
    db: DbSession,
    ip: ClientIp,
    credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
) -> Actor:
    scheme, key = get_authorization_scheme_param(request.headers.get("Authorization"))
    if scheme.lower() == "bearer":
        # An API key: a browser never sends one on its own, so no CSRF token is needed. The scope
        # comes from the route's `key_access` declaration; a route without one is closed to keys.
        access = route_key_access(request)
        scope = access.scope_for(request.method) if access else None
        return _remember(request, credentials_service.actor_for_key(db, secret=key, scope=scope))
    if credentials is not None:
        # A browser that remembers Basic credentials would attach them to a forged cross-site
        # request too; programs send no such headers.
        if request.method not in SAFE_METHODS and is_cross_site(request):
            raise Forbidden(_("Cross-site requests cannot change data."))
        actor = service.actor_for_password(db, email=credentials.username, password=credentials.password, ip=ip)
        return _remember(request, actor)
    token = request.cookies.get(SESSION_COOKIE)
    actor = service.actor_for_session(db, token=token) if token else None
    if actor is None:
        raise Unauthorized()
    # A cookie is sent by the browser on its own, so changes must prove they come from our pages.
    if not csrf_header_is_valid(request):
        raise Forbidden(_("Send the X-CSRF-Token header with the token of the page."))
    return _remember(request, actor)


ApiActor = Annotated[Actor, Depends(_api_actor)]
