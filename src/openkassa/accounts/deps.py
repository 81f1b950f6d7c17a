"""Who is asking: the signed-in user of a page, or of a JSON API call (cookie or HTTP Basic)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from openkassa.accounts import service
from openkassa.accounts.service import Actor
from openkassa.errors import Forbidden, Unauthorized
from openkassa.i18n import _
from openkassa.web.deps import ClientIp, DbSession
from openkassa.web.security import csrf_header_is_valid

SESSION_COOKIE = "ok_session"
_basic = HTTPBasic(auto_error=False, realm="OpenKassa")


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
    if credentials is not None:
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
