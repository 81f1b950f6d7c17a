"""HTML pages of the accounts domain: sign-up, sign-in, confirmation, password reset, team, plan."""

from __future__ import annotations

import uuid
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from openkassa.accounts import service
from openkassa.accounts.deps import SESSION_COOKIE, CurrentActor, MaybeActor
from openkassa.accounts.models import User
from openkassa.accounts.plans import Feature, Plan, allowance
from openkassa.accounts.roles import Role
from openkassa.accounts.schemas import AcceptInviteIn, EmailIn, InviteIn, NewPasswordIn, RoleIn, SignInIn, SignUpIn
from openkassa.errors import Conflict, Invalid, PlanLimit, TooManyRequests, Unauthorized
from openkassa.i18n import LANGUAGES, _
from openkassa.web import flash
from openkassa.web.deps import ClientIp, DbSession, FormData, require_csrf
from openkassa.web.forms import parse
from openkassa.web.security import LANGUAGE_COOKIE, rotate_csrf_cookie
from openkassa.web.templating import render, see_other

router = APIRouter(dependencies=[Depends(require_csrf)], include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect a user to another site after sign-in."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _signed_in(request: Request, user: User, db, target: str = "/") -> RedirectResponse:
    """Start a fresh session (ending the browser's previous one) with a fresh CSRF token."""
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        service.end_session(db, token=previous)
    response = see_other(_safe_next(target))
    rotate_csrf_cookie(response, secure=request.app.state.settings.cookie_secure)
    response.set_cookie(
        SESSION_COOKIE,
        service.start_session(db, user=user),
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.cookie_secure,
        max_age=request.app.state.settings.session_days * 86400,
    )
    return response


@router.get("/")
def home(actor: MaybeActor):
    """The start page: the points of a signed-in user, else the sign-in form."""
    return see_other("/points" if actor else "/login")


@router.get("/signup")
def signup_form(request: Request):
    return render(request, "accounts/signup.html", form={}, errors={})


@router.post("/signup")
def signup(request: Request, db: DbSession, ip: ClientIp, form: FormData):
    try:
        user = service.sign_up(db, data=parse(SignUpIn, form), ip=ip)
    except Invalid as error:
        return render(request, "accounts/signup.html", status_code=422, form=form, errors=error.fields)
    except (Conflict, TooManyRequests) as error:
        return render(
            request, "accounts/signup.html", status_code=error.status, form=form,
            errors=error.fields or {"__all__": error.message},
        )
    return render(request, "accounts/check_mail.html", email=user.email)


@router.get("/login")
def login_form(request: Request, next: str = "/", email: str = ""):
    return render(
        request, "accounts/login.html", form={"next": next, "email": email[:254]}, errors={}, unconfirmed=False
    )


@router.post("/login")
def login(request: Request, db: DbSession, ip: ClientIp, form: FormData):
    try:
        data = parse(SignInIn, {"email": form.get("email", ""), "password": form.get("password", "")})
        user = service.authenticate(db, email=data.email, password=data.password, ip=ip)
    except Invalid as error:
        return render(request, "accounts/login.html", status_code=422, form=form, errors=error.fields, unconfirmed=False)
    except service.EmailNotConfirmed as error:
        return render(
            request, "accounts/login.html", status_code=403, form=form,
            errors={"__all__": error.message}, unconfirmed=True,
        )
    except (Unauthorized, TooManyRequests) as error:
        return render(
            request, "accounts/login.html", status_code=error.status, form=form,
            errors={"__all__": error.message}, unconfirmed=False,
        )
    return _signed_in(request, user, db, str(form.get("next") or "/"))


@router.post("/logout")
def logout(request: Request, db: DbSession):
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.end_session(db, token=token)
    response = see_other("/login")
    response.delete_cookie(SESSION_COOKIE)
    rotate_csrf_cookie(response, secure=request.app.state.settings.cookie_secure)
    return response


@router.get("/confirm/{token}")
def confirm_page(request: Request, db: DbSession, token: str):
    """The link from the confirmation mail: a page with one button (scanners only GET links)."""
    service.check_confirmation_link(db, token=token)
    return render(request, "accounts/confirm.html", token=token)


@router.post("/confirm/resend")
def resend_confirmation(request: Request, db: DbSession, ip: ClientIp, form: FormData):
    try:
        data = parse(EmailIn, {"email": form.get("email", "")})
    except Invalid as error:
        return render(request, "accounts/login.html", status_code=422, form=form, errors=error.fields, unconfirmed=True)
    service.resend_confirmation(db, email=data.email, ip=ip)
    return render(request, "accounts/check_mail.html", email=data.email)


@router.post("/confirm/{token}")
def confirm(request: Request, db: DbSession, token: str):
    """Confirm the address; the person then signs in with their password."""
    user = service.confirm_email(db, token=token)
    flash.add(request, _("Your e-mail is confirmed. Sign in with your password."))
    return see_other(f"/login?email={quote(user.email)}")


@router.get("/password/forgot")
def forgot_form(request: Request):
    return render(request, "accounts/forgot.html", form={}, errors={}, sent=False)


@router.post("/password/forgot")
def forgot(request: Request, db: DbSession, ip: ClientIp, form: FormData):
    try:
        data = parse(EmailIn, form)
    except Invalid as error:
        return render(request, "accounts/forgot.html", status_code=422, form=form, errors=error.fields, sent=False)
    service.request_password_reset(db, email=data.email, ip=ip)
    return render(request, "accounts/forgot.html", form=form, errors={}, sent=True)


@router.get("/password/reset/{token}")
def reset_form(request: Request, db: DbSession, token: str):
    service.check_reset_token(db, token=token)
    return render(request, "accounts/reset.html", token=token, errors={})


@router.post("/password/reset/{token}")
def reset(request: Request, db: DbSession, token: str, form: FormData):
    try:
        data = parse(NewPasswordIn, form)
    except Invalid as error:
        return render(request, "accounts/reset.html", status_code=422, token=token, errors=error.fields)
    user = service.reset_password(db, token=token, password=data.password)
    flash.add(request, _("Your new password is set."))
    return _signed_in(request, user, db, "/points")


@router.get("/invite/{token}")
def invite_form(request: Request, db: DbSession, token: str):
    user = service.invited_user(db, token=token)
    return render(
        request, "accounts/accept_invite.html", token=token, invited=user,
        role_label=Role(user.role).label, form={}, errors={},
    )


@router.post("/invite/{token}")
def accept_invite(request: Request, db: DbSession, token: str, form: FormData):
    invited = service.invited_user(db, token=token)
    try:
        user = service.accept_invite(db, token=token, data=parse(AcceptInviteIn, form))
    except Invalid as error:
        return render(
            request, "accounts/accept_invite.html", status_code=422,
            token=token, invited=invited, role_label=Role(invited.role).label, form=form, errors=error.fields,
        )
    flash.add(request, _("Welcome to OpenKassa!"))
    return _signed_in(request, user, db, "/points")


@router.post("/language/{code}")
def choose_language(request: Request, code: str):
    """Switch the interface language; remembered in a cookie for a year."""
    referer = request.headers.get("referer", "/")
    back = urlsplit(referer)
    response = see_other(_safe_next(back.path + (f"?{back.query}" if back.query else "")))
    if code in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, code, max_age=365 * 86400, samesite="lax",
            secure=request.app.state.settings.cookie_secure,
        )
    return response


# --- the team ---------------------------------------------------------------------------


def _team_page(request: Request, db, actor, *, form=None, errors=None, status_code=200):
    return render(
        request, "accounts/team.html", status_code=status_code, section="team",
        users=service.list_users(db, actor), roles=list(Role), role_options=[(r.value, r.label) for r in Role],
        role_labels={r.value: r.label for r in Role},
        form=form or {"role": Role.MANAGER}, errors=errors or {},
    )


@router.get("/team")
def team(request: Request, db: DbSession, actor: CurrentActor):
    return _team_page(request, db, actor)


@router.post("/team/invite")
def invite(request: Request, db: DbSession, actor: CurrentActor, form: FormData):
    try:
        user = service.invite(db, actor, data=parse(InviteIn, form))
    except (Invalid, Conflict, PlanLimit) as error:
        return _team_page(request, db, actor, form=form, errors=error.fields or {"__all__": error.message}, status_code=error.status)
    flash.add(request, _("Invitation sent to {email}.").format(email=user.email))
    return see_other("/team")


@router.post("/team/{user_id}/role")
def change_role(request: Request, db: DbSession, actor: CurrentActor, user_id: uuid.UUID, form: FormData):
    try:
        user = service.change_role(db, actor, user_id=user_id, role=parse(RoleIn, form).role)
    except Invalid as error:
        flash.add(request, " ".join(error.fields.values()) or error.message, "error")
        return see_other("/team")
    flash.add(request, _("{name} is now «{role}».").format(name=user.name, role=Role(user.role).label))
    return see_other("/team")


@router.post("/team/{user_id}/active")
def set_active(request: Request, db: DbSession, actor: CurrentActor, user_id: uuid.UUID, form: FormData):
    active = form.get("active") == "on"
    try:
        user = service.set_active(db, actor, user_id=user_id, active=active)
    except (Conflict, PlanLimit) as error:
        flash.add(request, error.message, "error")
        return see_other("/team")
    message = _("{name} can sign in again.") if active else _("{name} is signed out and can no longer sign in.")
    flash.add(request, message.format(name=user.name))
    return see_other("/team")


@router.post("/team/{user_id}/resend")
def resend_invite(request: Request, db: DbSession, actor: CurrentActor, user_id: uuid.UUID):
    user = service.resend_invite(db, actor, user_id=user_id)
    flash.add(request, _("Invitation sent to {email}.").format(email=user.email))
    return see_other("/team")


@router.get("/plan")
def plan(request: Request, db: DbSession, actor: CurrentActor):
    """The account's plan and what each plan includes."""
    account = service.get_account(db, actor)
    return render(
        request, "accounts/plan.html", section="plan",
        account=account, current_plan=Plan(account.plan), plans=list(Plan), features=list(Feature), allowance=allowance,
    )


@router.post("/plan")
def change_plan(request: Request, db: DbSession, actor: CurrentActor, form: FormData):
    try:
        chosen = Plan(form.get("plan", ""))
    except ValueError:
        flash.add(request, _("Choose one of the offered values."), "error")
        return see_other("/plan")
    service.change_plan(db, actor, plan=chosen)
    flash.add(request, _("Your plan is now «{plan}».").format(plan=chosen.label))
    return see_other("/plan")
