"""Rules of the accounts domain: sign-up, confirmation, sign-in, sessions, team, plans.

Plain functions taking a Session and keyword arguments; the caller owns the transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openkassa import ratelimit, wakeups
from openkassa.accounts.models import Account, User, UserToken, WebSession
from openkassa.accounts.plans import Feature, Plan, allowance, allows
from openkassa.accounts.roles import PERMISSIONS, Permission, Role
from openkassa.accounts.schemas import AcceptInviteIn, InviteIn, SignUpIn
from openkassa.config import get_settings
from openkassa.db import utcnow
from openkassa.errors import Conflict, Forbidden, Invalid, NotFound, PlanLimit, Unauthorized
from openkassa.i18n import _, current_language, language
from openkassa.ids import new_secret, secret_hash
from openkassa.jobs.service import enqueue_email
from openkassa.passwords import hash_password, needs_rehash, verify_password

CONFIRM_TTL = timedelta(days=3)
RESET_TTL = timedelta(hours=2)
INVITE_TTL = timedelta(days=7)
SIGN_IN_WINDOW = timedelta(minutes=15)
SIGN_IN_LIMIT_PER_EMAIL = 10
SIGN_IN_LIMIT_PER_IP = 50
MAIL_WINDOW = timedelta(hours=1)
MAIL_LIMIT = 5
MAIL_LIMIT_PER_IP = 20
SIGN_UPS_PER_IP = 10
SIGN_UP_WINDOW = timedelta(hours=1)
SIGN_UP_PLAN = Plan.START


class EmailNotConfirmed(Unauthorized):
    """Sign-in refused until the address is confirmed by the link in the mail."""

    code = "email_not_confirmed"

    def default_message(self) -> str:
        return _("Confirm your e-mail first: open the link in the mail we sent you.")


@dataclass(frozen=True)
class Actor:
    """Who is acting: every service call that touches tenant data takes one."""

    user_id: uuid.UUID
    account_id: uuid.UUID
    role: Role
    name: str
    email: str
    plan: Plan
    company_name: str
    scopes: frozenset[str] | None = None
    """None for a person; for a program (an API key, a service login) what it may do, which narrows
    the role: any scope lets it view, a `…:write` scope manage, `reports` build reports; it never
    manages users, integrations or the plan."""
    credential_id: uuid.UUID | None = None  # the API key or service login acting, when not a person

    def can(self, permission: Permission) -> bool:
        if permission not in PERMISSIONS[self.role]:
            return False
        return self.scopes is None or permission in _scoped_permissions(self.scopes)

    @property
    def is_person(self) -> bool:
        return self.scopes is None


def _scoped_permissions(scopes: frozenset[str]) -> set[Permission]:
    allowed = {Permission.VIEW} if scopes else set()
    if any(scope.endswith(":write") for scope in scopes):
        allowed.add(Permission.MANAGE)
    if "reports" in scopes:
        allowed.add(Permission.REPORTS)
    return allowed


def require(actor: Actor, permission: Permission) -> None:
    """Raise Forbidden unless the actor's role includes the permission."""
    if not actor.can(permission):
        raise Forbidden()


def require_feature(actor: Actor, feature: Feature, *, in_use: int = 0) -> None:
    """Raise PlanLimit unless the account's plan allows one more use of the feature."""
    if allows(actor.plan, feature, in_use=in_use):
        return
    limit = allowance(actor.plan, feature)
    if limit:
        message = _("Your plan «{plan}» includes {feature}: up to {n}. Upgrade the plan to add more.")
    else:
        message = _("Your plan «{plan}» does not include {feature}. Upgrade the plan to use it.")
    raise PlanLimit(message.format(plan=actor.plan.label, feature=feature.label.lower(), n=limit))


def lock_account(session: Session, account_id: uuid.UUID) -> None:
    """Hold the account row until commit, so that counting against a plan limit and adding
    the new row happen as one step (two requests at once cannot both take the last place)."""
    session.execute(select(Account.id).where(Account.id == account_id).with_for_update())


def current_revision(session: Session, account_id: uuid.UUID) -> int:
    """The account's revision now: it moves with every change registers sync."""
    return session.scalar(select(Account.revision).where(Account.id == account_id))


def next_revision(session: Session, account_id: uuid.UUID) -> int:
    """Take the account's next revision number (rows stamped with it sync to registers); the
    registers waiting for the account's changes wake when the transaction commits."""
    revision = session.execute(
        update(Account)
        .where(Account.id == account_id)
        .values(revision=Account.revision + 1)
        .returning(Account.revision)
    ).scalar_one()
    wakeups.revision_taken(session, account_id)
    return revision


# --- links sent by e-mail ---------------------------------------------------------------


def _issue_token(session: Session, user: User, purpose: str, ttl: timedelta) -> str:
    # A new link retires the older ones of the same purpose.
    session.execute(
        delete(UserToken).where(UserToken.user_id == user.id, UserToken.purpose == purpose)
    )
    secret = new_secret()
    session.add(
        UserToken(user_id=user.id, purpose=purpose, token_hash=secret_hash(secret), expires_at=utcnow() + ttl)
    )
    return secret


def _usable(secret: str, purpose: str):
    """The condition of a link that still works."""
    return (
        (UserToken.token_hash == secret_hash(secret))
        & (UserToken.purpose == purpose)
        & UserToken.used_at.is_(None)
        & (UserToken.expires_at > utcnow())
    )


def _use_token(session: Session, secret: str, purpose: str) -> User:
    """Spend a link: one UPDATE, so two clicks at the same moment cannot both use it."""
    user_id = session.execute(
        update(UserToken)
        .where(_usable(secret, purpose))
        .values(used_at=utcnow())
        .returning(UserToken.user_id)
    ).scalar_one_or_none()
    if user_id is None:
        raise NotFound(_("This link has expired or was already used. Ask for a new one."))
    return session.get_one(User, user_id)


def _link(path: str) -> str:
    return get_settings().base_url.rstrip("/") + path


def _mail(session: Session, user: User, subject: str, text: str) -> None:
    enqueue_email(session, to=user.email, subject=subject, text=text)


def _send_confirmation(session: Session, user: User) -> None:
    link = _link(f"/confirm/{_issue_token(session, user, 'confirm', CONFIRM_TTL)}")
    with language(user.language):
        _mail(
            session,
            user,
            _("Confirm your e-mail for OpenKassa"),
            _("Hello, {name}!\n\nTo finish signing up, open this link:\n{link}\n\n"
              "The link works for 3 days. If you did not sign up, ignore this mail.").format(
                name=user.name, link=link
            ),
        )


# --- sign-up and confirmation -----------------------------------------------------------


def _ensure_email_free(session: Session, email: str) -> None:
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(
            _("This e-mail is already registered."),
            fields={"email": _("This e-mail is already registered. Sign in or reset the password.")},
        )


def sign_up(session: Session, *, data: SignUpIn, ip: str) -> User:
    """Create an account with its owner, unconfirmed; mail the confirmation link."""
    ratelimit.attempt(session, f"signup-ip:{ratelimit.network(ip)}", limit=SIGN_UPS_PER_IP, window=SIGN_UP_WINDOW)
    _ensure_email_free(session, data.email)
    account = Account(company_name=data.company_name, plan=SIGN_UP_PLAN)
    user = User(
        account=account,
        email=data.email,
        name=data.name,
        phone=data.phone,
        password_hash=hash_password(data.password),
        role=Role.OWNER,
        language=current_language(),
    )
    try:
        with session.begin_nested():  # two sign-ups with one address at the same moment
            session.add_all([account, user])
            session.flush()
    except IntegrityError:
        raise Conflict(
            _("This e-mail is already registered."),
            fields={"email": _("This e-mail is already registered. Sign in or reset the password.")},
        ) from None
    _send_confirmation(session, user)
    return user


def check_confirmation_link(session: Session, *, token: str) -> None:
    """Raise NotFound when a confirmation link no longer works (checked before showing its page).

    Opening the link only shows a button: mail scanners that follow links must not spend it.
    """
    _valid_token(session, token, "confirm")


def confirm_email(session: Session, *, token: str) -> User:
    user = _use_token(session, token, "confirm")
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    return user


def _throttle_mail(session: Session, *, email: str, ip: str) -> None:
    """Mails we send on a stranger's request: a few per address, and a few more per network."""
    ratelimit.attempt(session, f"mail:{email.lower()}", limit=MAIL_LIMIT, window=MAIL_WINDOW)
    ratelimit.attempt(session, f"mail-ip:{ratelimit.network(ip)}", limit=MAIL_LIMIT_PER_IP, window=MAIL_WINDOW)


def resend_confirmation(session: Session, *, email: str, ip: str) -> None:
    """Send a fresh confirmation link. Says nothing of whether the address is registered."""
    _throttle_mail(session, email=email, ip=ip)
    user = session.scalars(select(User).where(User.email == email.lower())).first()
    if user and user.is_active and user.email_confirmed_at is None and user.password_hash:
        _send_confirmation(session, user)


# --- sign-in and sessions ---------------------------------------------------------------


def authenticate(session: Session, *, email: str, password: str, ip: str) -> User:
    """Check an e-mail and password; refuse unconfirmed and deactivated users."""
    email = email.strip().lower()
    email_key = f"signin:{email}"
    ratelimit.attempt(session, email_key, limit=SIGN_IN_LIMIT_PER_EMAIL, window=SIGN_IN_WINDOW)
    from_network = ratelimit.attempt(
        session, f"signin-ip:{ratelimit.network(ip)}", limit=SIGN_IN_LIMIT_PER_IP, window=SIGN_IN_WINDOW
    )
    user = session.scalars(select(User).where(User.email == email)).first()
    if not verify_password(user.password_hash if user else "", password) or not user.is_active:
        raise Unauthorized(_("Wrong e-mail or password."))
    if user.email_confirmed_at is None:
        raise EmailNotConfirmed()
    # Only failures count: a right password clears the address and takes back the network's attempt.
    ratelimit.clear(session, email_key)
    ratelimit.forgive(session, from_network)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def start_session(session: Session, *, user: User) -> str:
    """Open a browser session; returns the secret for the cookie (only its hash is kept)."""
    secret = new_secret()
    session.add(
        WebSession(
            user_id=user.id,
            token_hash=secret_hash(secret),
            expires_at=utcnow() + timedelta(days=get_settings().session_days),
        )
    )
    return secret


def end_session(session: Session, *, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == secret_hash(token)))


def _actor(user: User, account: Account) -> Actor:
    return Actor(
        user_id=user.id,
        account_id=account.id,
        role=Role(user.role),
        name=user.name,
        email=user.email,
        plan=Plan(account.plan),
        company_name=account.company_name,
    )


def actor_for_session(session: Session, *, token: str) -> Actor | None:
    """The signed-in user behind a session cookie, or None when it is unknown or expired."""
    row = session.execute(
        select(User, Account, WebSession.expires_at)
        .join(WebSession, WebSession.user_id == User.id)
        .join(Account, Account.id == User.account_id)
        .where(WebSession.token_hash == secret_hash(token))
    ).first()
    if row is None or row.expires_at < utcnow() or not row.User.is_active:
        return None
    return _actor(row.User, row.Account)


def actor_of(session: Session, *, user_id: uuid.UUID) -> Actor:
    """The actor of a known user (for the shell: demo data, imports)."""
    user = session.get_one(User, user_id)
    return _actor(user, session.get_one(Account, user.account_id))


def owner_actor(session: Session, *, account_id: uuid.UUID) -> Actor:
    """The account's earliest active owner: the shell acts in the owner's name (imports by the operator)."""
    owner = session.scalars(
        select(User).where(User.account_id == account_id, User.role == Role.OWNER, User.is_active)
        .order_by(User.created_at, User.id).limit(1)
    ).first()
    if owner is None:
        raise NotFound()
    return _actor(owner, session.get_one(Account, account_id))


def actor_for_credential(
    session: Session, *, account_id: uuid.UUID, user_id: uuid.UUID, name: str, scopes: frozenset[str],
    credential_id: uuid.UUID,
) -> Actor:
    """A program acting for an account (an API key, a service login), with its scopes as its rights.

    It acts in the name of the user who made the credential (the author of what it writes), with
    an owner's role narrowed by the scopes: a credential belongs to the account, not to its maker.
    """
    account = session.get_one(Account, account_id)
    return Actor(
        user_id=user_id, account_id=account.id, role=Role.OWNER, name=name, email="",
        plan=Plan(account.plan), company_name=account.company_name, scopes=scopes, credential_id=credential_id,
    )


def actor_for_password(session: Session, *, email: str, password: str, ip: str) -> Actor:
    """The user behind HTTP Basic credentials (e-mail and password)."""
    user = authenticate(session, email=email, password=password, ip=ip)
    return _actor(user, session.get_one(Account, user.account_id))


# --- password reset ---------------------------------------------------------------------


def request_password_reset(session: Session, *, email: str, ip: str) -> None:
    """Mail a reset link. Says nothing of whether the address is registered."""
    _throttle_mail(session, email=email, ip=ip)
    user = session.scalars(select(User).where(User.email == email.lower())).first()
    if user is None or not user.is_active:
        return
    link = _link(f"/password/reset/{_issue_token(session, user, 'reset', RESET_TTL)}")
    with language(user.language):
        _mail(
            session,
            user,
            _("Reset your OpenKassa password"),
            _("Hello!\n\nTo choose a new password, open this link:\n{link}\n\n"
              "The link works for 2 hours. If you did not ask for it, ignore this mail.").format(link=link),
        )


def _valid_token(session: Session, secret: str, purpose: str) -> UserToken:
    """The unused, unexpired link of this purpose (checked before showing its form), else NotFound."""
    token = session.scalars(select(UserToken).where(_usable(secret, purpose))).first()
    if token is None:
        raise NotFound(_("This link has expired or was already used. Ask for a new one."))
    return token


def check_reset_token(session: Session, *, token: str) -> None:
    """Raise NotFound when a reset link is no longer valid (checked before showing the form)."""
    _valid_token(session, token, "reset")


def reset_password(session: Session, *, token: str, password: str) -> User:
    """Set a new password from a reset link; signs out every other session of the user."""
    user = _use_token(session, token, "reset")
    user.password_hash = hash_password(password)
    # The mail reached its owner, so the address is confirmed too.
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return user


# --- the team ---------------------------------------------------------------------------


def _send_invite(session: Session, actor: Actor, user: User) -> None:
    link = _link(f"/invite/{_issue_token(session, user, 'invite', INVITE_TTL)}")
    with language(user.language):
        _mail(
            session,
            user,
            _("{company} invites you to OpenKassa").format(company=actor.company_name),
            _("Hello!\n\n{inviter} invites you to the back office of {company} as «{role}».\n"
              "To accept, open this link and choose a password:\n{link}\n\n"
              "The link works for 7 days.").format(
                inviter=actor.name, company=actor.company_name, role=Role(user.role).label, link=link
            ),
        )


def list_users(session: Session, actor: Actor) -> list[User]:
    require(actor, Permission.MANAGE_USERS)
    return list(
        session.scalars(select(User).where(User.account_id == actor.account_id).order_by(User.created_at))
    )


def user_names(session: Session, *, account_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """The names of the account's users by id, to say who made a document (any role may read them there)."""
    return dict(session.execute(select(User.id, User.name).where(User.account_id == account_id)).all())


def get_user(session: Session, actor: Actor, user_id: uuid.UUID) -> User:
    require(actor, Permission.MANAGE_USERS)
    user = session.get(User, user_id)
    if user is None or user.account_id != actor.account_id:
        raise NotFound()
    return user


def _active_users(session: Session, account_id: uuid.UUID) -> int:
    """Users counted by the plan: everyone not deactivated, invited ones included."""
    return session.scalar(
        select(func.count()).select_from(User).where(User.account_id == account_id, User.is_active)
    )


def invite(session: Session, actor: Actor, *, data: InviteIn) -> User:
    """Add a colleague with a role; they get a link to choose their password."""
    require(actor, Permission.MANAGE_USERS)
    lock_account(session, actor.account_id)
    require_feature(actor, Feature.USERS, in_use=_active_users(session, actor.account_id))
    _ensure_email_free(session, data.email)
    user = User(
        account_id=actor.account_id,
        email=data.email,
        name=data.email.split("@")[0],
        role=data.role,
        language=current_language(),
    )
    session.add(user)
    session.flush()
    _send_invite(session, actor, user)
    return user


def resend_invite(session: Session, actor: Actor, *, user_id: uuid.UUID) -> User:
    user = get_user(session, actor, user_id)
    if user.password_hash:
        raise Conflict(_("This colleague has already accepted the invitation."))
    if not user.is_active:
        raise Conflict(_("This colleague is deactivated. Reactivate them first."))
    _send_invite(session, actor, user)
    return user


def invited_user(session: Session, *, token: str) -> User:
    """The colleague an invitation link is for (to greet them on the form)."""
    return session.get_one(User, _valid_token(session, token, "invite").user_id)


def accept_invite(session: Session, *, token: str, data: AcceptInviteIn) -> User:
    user = _use_token(session, token, "invite")
    user.name, user.phone = data.name, data.phone
    user.password_hash = hash_password(data.password)
    user.email_confirmed_at = utcnow()
    return user


def _active_owners(session: Session, account_id: uuid.UUID) -> int:
    return session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.account_id == account_id, User.role == Role.OWNER, User.is_active)
    )


def change_role(session: Session, actor: Actor, *, user_id: uuid.UUID, role: Role) -> User:
    user = get_user(session, actor, user_id)
    demotes_an_active_owner = user.role == Role.OWNER and user.is_active and role != Role.OWNER
    if demotes_an_active_owner and _active_owners(session, actor.account_id) <= 1:
        raise Invalid(fields={"role": _("The account must keep at least one owner.")})
    user.role = role
    return user


def set_active(session: Session, actor: Actor, *, user_id: uuid.UUID, active: bool) -> User:
    """Deactivate a colleague (signed out at once, their mailed links dead) or bring them back."""
    user = get_user(session, actor, user_id)
    if active and not user.is_active:
        # Bringing someone back takes a place on the plan, as an invitation does.
        lock_account(session, actor.account_id)
        require_feature(actor, Feature.USERS, in_use=_active_users(session, actor.account_id))
    if not active:
        if user.id == actor.user_id:
            raise Conflict(_("You cannot deactivate yourself."))
        if user.role == Role.OWNER and _active_owners(session, actor.account_id) <= 1:
            raise Conflict(_("The account must keep at least one owner."))
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
        session.execute(delete(UserToken).where(UserToken.user_id == user.id))
    user.is_active = active
    return user


def get_account(session: Session, actor: Actor) -> Account:
    return session.get_one(Account, actor.account_id)


def change_plan(session: Session, actor: Actor, *, plan: Plan) -> Account:
    """Switch the plan (billing comes later; only the owner may do it)."""
    require(actor, Permission.BILLING)
    account = get_account(session, actor)
    account.plan = plan
    return account
