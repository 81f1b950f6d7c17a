"""The «Integrations» page: the account's API keys and service logins, made, shown once, revoked.

A new key or password is shown in the answer to the POST that made it, never stored or put in a
flash message, and never shown again. An account whose plan includes neither API keys nor the
online shop sees what the integrations give and which plans have them instead.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request

from openkassa.accounts.deps import CurrentActor
from openkassa.accounts.plans import Feature, Plan, allows
from openkassa.accounts.roles import Permission
from openkassa.credentials import service
from openkassa.credentials.schemas import ApiKeyIn, ServiceLoginIn
from openkassa.credentials.scopes import Scope
from openkassa.errors import Invalid, PlanLimit
from openkassa.i18n import _
from openkassa.points import service as points_service
from openkassa.web import flash
from openkassa.web.deps import DbSession, FormData, require_csrf
from openkassa.web.forms import parse
from openkassa.web.templating import render, see_other

router = APIRouter(dependencies=[Depends(require_csrf)], include_in_schema=False)

PAGE = "/integrations"


def _page(request: Request, db, actor, *, status_code: int = 200, form=None, errors=None, new_key=None,
          new_password=None):
    if not (allows(actor.plan, Feature.API_KEYS) or allows(actor.plan, Feature.ONLINE_SHOP)):
        # Keys and logins left from a plan before stop working on this one; the owner may still revoke them.
        owner = actor.can(Permission.MANAGE_USERS)
        return render(request, "credentials/plan.html", section="integrations",
                      plans=[Plan.STANDARD.label, Plan.EXTENDED.label], scopes=list(Scope),
                      keys=[k for k in service.list_keys(db, actor) if not k.revoked_at] if owner else [],
                      logins=[lg for lg in service.list_service_logins(db, actor) if not lg.revoked_at] if owner else [])
    keys_allowed = allows(actor.plan, Feature.API_KEYS)
    return render(
        request, "credentials/integrations.html", status_code=status_code, section="integrations",
        keys=service.list_keys(db, actor) if keys_allowed else [], keys_allowed=keys_allowed,
        logins=service.list_service_logins(db, actor), purposes=service.service_logins_allowed(actor),
        purpose_label=service.purpose_label, scope_options=[(s.value, s.label) for s in Scope], scope_labels={s.value: s.label for s in Scope},
        zone=points_service.zone_of(db, account_id=actor.account_id),
        form=form or {}, errors=errors or {}, new_key=new_key, new_password=new_password,
    )


@router.get(PAGE)
def integrations(request: Request, db: DbSession, actor: CurrentActor):
    """The API keys and service logins of the account."""
    return _page(request, db, actor)


@router.post(f"{PAGE}/keys")
def create_key(request: Request, db: DbSession, actor: CurrentActor, form: FormData):
    """Make a key and show it, once."""
    try:
        made = service.create_key(db, actor, data=parse(ApiKeyIn, form))
    except (Invalid, PlanLimit) as error:
        errors = error.fields if isinstance(error, Invalid) and error.fields else {"__all__": error.message}
        return _page(request, db, actor, status_code=error.status, form=form, errors=errors)
    return _page(request, db, actor, status_code=201, new_key=made)


@router.post(f"{PAGE}/keys/{{key_id}}/revoke")
def revoke_key(request: Request, db: DbSession, actor: CurrentActor, key_id: uuid.UUID):
    key = service.revoke_key(db, actor, key_id=key_id)
    flash.add(request, _("The key «{name}» is revoked: programs using it are refused from now on.").format(name=key.name))
    return see_other(PAGE)


@router.post(f"{PAGE}/logins")
def create_service_login(request: Request, db: DbSession, actor: CurrentActor, form: FormData):
    """Make a service login and show its password, once."""
    try:
        made = service.create_service_login(db, actor, data=parse(ServiceLoginIn, form))
    except (Invalid, PlanLimit) as error:
        flash.add(request, error.message if not isinstance(error, Invalid) else _("Choose one of the offered values."),
                  "error")
        return see_other(PAGE)
    return _page(request, db, actor, status_code=201, new_password=made)


@router.post(f"{PAGE}/logins/{{login_id}}/rotate")
def rotate_service_login(request: Request, db: DbSession, actor: CurrentActor, login_id: uuid.UUID):
    """A new password for a service login, shown once; the old one stops working."""
    return _page(request, db, actor, new_password=service.rotate_service_login(db, actor, login_id=login_id))


@router.post(f"{PAGE}/logins/{{login_id}}/revoke")
def revoke_service_login(request: Request, db: DbSession, actor: CurrentActor, login_id: uuid.UUID):
    login = service.revoke_service_login(db, actor, login_id=login_id)
    flash.add(request, _("The service login {login} is revoked.").format(login=login.login))
    return see_other(PAGE)

