"""Rules of the credentials domain: API keys (made, listed, revoked; a request authenticated, its scope
checked and counted against the key's limit) and service logins (made, rotated, revoked; checked).

Only an owner manages them (`Permission.MANAGE_USERS`: a credential lets a program into the account,
as an invitation lets a person in), and only on a plan that includes them. A credential never
manages credentials, users or the plan: its actor is narrowed by its scopes (`Actor.can`).

Plain functions taking a Session and keyword arguments; the caller owns the transaction.
"""

from __future__ import annotations

import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, case, select, update
from sqlalchemy.orm import Session

from openkassa import ratelimit
from openkassa.accounts import service as accounts
from openkassa.accounts.plans import Feature, allows
from openkassa.accounts.roles import Permission
from openkassa.accounts.service import Actor, require, require_feature
from openkassa.config import get_settings
from openkassa.credentials.models import ONE_C, ONLINE_SHOP, ApiKey, ServiceLogin
from openkassa.credentials.schemas import ApiKeyIn, ServiceLoginIn
from openkassa.credentials.scopes import ANY_SCOPE, Scope
from openkassa.db import IMMEDIATE, UTCDateTime, utcnow
from openkassa.errors import Forbidden, NotFound, TooManyRequests, Unauthorized
from openkassa.i18n import _
from openkassa.ids import new_secret, secret_hash
from openkassa.passwords import hash_password, verify_password

KEY_PREFIX = "ok_live_"
SHOWN_PREFIX = len(KEY_PREFIX) + 4  # `ok_live_AbCd`: enough to tell a key in a list, nothing to guess with
WINDOW = timedelta(minutes=1)
LAST_USED_EVERY = timedelta(minutes=1)
SERVICE_LOGIN_LIMIT = 10  # failed passwords per login in SERVICE_LOGIN_WINDOW, as for sign-in
SERVICE_LOGIN_WINDOW = timedelta(minutes=15)

SERVICE_LOGIN_PREFIX = "svc-"  # never an e-mail address: a login says which kind it is
PURPOSE_FEATURES = {ONLINE_SHOP: Feature.ONLINE_SHOP, ONE_C: Feature.ONE_C}
"""What plan feature each service login needs: the online shop's documents, or the integrations (the API keys')."""

PURPOSE_SCOPES: dict[str, frozenset[str]] = {
    ONLINE_SHOP: frozenset({Scope.CATALOG_READ, Scope.SALES_READ}),
    ONE_C: frozenset({Scope.CATALOG_READ, Scope.CATALOG_WRITE, Scope.SALES_READ, Scope.STOCK_READ,
                      Scope.STOCK_WRITE}),
}
"""What a program signed in with a service login may do: the catalog and sales for the online shop's
API; the catalog, sales and stock for the 1C exchange (CommerceML sends goods and takes orders and balances)."""


class KeyRateLimited(TooManyRequests):
    """An API key made more requests this minute than its limit."""

    def __init__(self, retry_after: int, limit: int):
        self.limit = limit
        super().__init__(retry_after=retry_after)

    def default_message(self) -> str:
        return _("Too many requests with this API key: at most {limit} a minute. Try again in {seconds} s.").format(
            limit=self.limit, seconds=self.retry_after)


def purpose_label(purpose: str) -> str:
    return {ONLINE_SHOP: _("Online shop (fiscalization API)"), ONE_C: _("1C exchange")}[purpose]


def _manage(actor: Actor, feature: Feature | None = Feature.API_KEYS) -> None:
    """Only a person who may manage the team, on a plan with the feature (None: on any plan, to list and revoke)."""
    if not actor.is_person:
        raise Forbidden(_("API keys and service logins cannot manage credentials: sign in to the back office."))
    require(actor, Permission.MANAGE_USERS)
    if feature is not None:
        require_feature(actor, feature)


# --- API keys ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewKey:
    """A key just made: `secret` is the whole key, shown once and never again."""

    key: ApiKey
    secret: str


def list_keys(session: Session, actor: Actor) -> list[ApiKey]:
    """The account's keys, the working ones first, newest first (on any plan: a plan without keys
    lists those left from a plan before, to revoke them)."""
    _manage(actor, None)
    return list(session.scalars(
        select(ApiKey).where(ApiKey.account_id == actor.account_id)
        .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc(), ApiKey.id.desc())
    ))


def create_key(session: Session, actor: Actor, *, data: ApiKeyIn) -> NewKey:
    """Make a key with a name and scopes; only its hash is kept."""
    _manage(actor)
    secret = KEY_PREFIX + new_secret()
    key = ApiKey(
        account_id=actor.account_id, name=data.name, prefix=secret[:SHOWN_PREFIX], secret_hash=secret_hash(secret),
        scopes=" ".join(scope.value for scope in Scope if scope in data.scopes), created_by=actor.user_id,
    )
    session.add(key)
    session.flush()
    return NewKey(key, secret)


def revoke_key(session: Session, actor: Actor, *, key_id: uuid.UUID) -> ApiKey:
    """Stop a key at once (its next request is 401); a revoked key stays listed. Allowed on any plan:
    stopping access is never held back."""
    _manage(actor, None)
    key = session.get(ApiKey, key_id)
    if key is None or key.account_id != actor.account_id:
        raise NotFound()
    key.revoked_at = key.revoked_at or utcnow()
    return key


_SAME_WINDOW = ApiKey.window_start == bindparam("minute", type_=UTCDateTime())
_COUNT_REQUEST = (
    # Built once: this runs on every request of every key.
    update(ApiKey)
    .where(ApiKey.secret_hash == bindparam("key_hash"), ApiKey.revoked_at.is_(None))
    .values(
        window_requests=case((_SAME_WINDOW, ApiKey.window_requests + 1), else_=1),
        last_used_at=case((_SAME_WINDOW, ApiKey.last_used_at), else_=bindparam("now", type_=UTCDateTime())),
        window_start=bindparam("minute", type_=UTCDateTime()),
    )
    .returning(ApiKey.id, ApiKey.account_id, ApiKey.created_by, ApiKey.name, ApiKey.scopes, ApiKey.window_requests)
)


def _count_request(session: Session, secret: str) -> tuple | None:
    """Find a working key and count this request in its minute, in one UPDATE on a connection of its
    own, committed at once: every process counts on the same row, a request refused later still
    counts, and on SQLite it comes before the request's first query (see `ratelimit`). The key's
    `last_used_at` moves with the first request of a minute only, so a busy key writes it once a minute.

    Returns (id, account_id, created_by, name, scopes, requests in this minute, window start, now), or None.
    """
    now = utcnow()
    minute = now.replace(second=0, microsecond=0)
    # Core on a bare connection, not an ORM session.
    with session.get_bind().connect().execution_options(**{IMMEDIATE: True}) as own:
        row = own.execute(_COUNT_REQUEST, {"key_hash": secret_hash(secret), "minute": minute, "now": now}).first()
        own.commit()
    return None if row is None else (*row, minute, now)


def actor_for_key(session: Session, *, secret: str, scope: str | None) -> Actor:
    """The account's actor for a request carrying an API key that needs `scope` (None: a route no key may use).

    Unknown or revoked key → Unauthorized; over the minute's limit → KeyRateLimited (429, Retry-After);
    a plan without API keys → PlanLimit; a scope the key lacks → Forbidden naming it.
    """
    found = _count_request(session, secret) if secret.startswith(KEY_PREFIX) else None
    if found is None:
        raise Unauthorized(_("This API key is unknown or was revoked."))
    key_id, account_id, created_by, name, scopes, requests, minute, now = found
    limit = get_settings().api_key_requests_per_minute
    if requests > limit:
        retry_after = math.ceil((minute + WINDOW - now).total_seconds())
        raise KeyRateLimited(retry_after=max(retry_after, 1), limit=limit)
    actor = accounts.actor_for_credential(
        session, account_id=account_id, user_id=created_by, name=name, scopes=frozenset(scopes.split()),
        credential_id=key_id,
    )
    require_feature(actor, Feature.API_KEYS)
    if scope is None:
        raise Forbidden(_("API keys cannot do this: sign in to the back office."))
    if scope != ANY_SCOPE and scope not in actor.scopes:
        raise Forbidden(_("This API key lacks the scope «{scope}». Make a key with it on the Integrations page.")
                        .format(scope=scope))
    return actor


# --- service logins ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewPassword:
    """A service login with its password just made: shown once and never again."""

    login: ServiceLogin
    password: str


def service_logins_allowed(actor: Actor) -> list[str]:
    """The purposes the account's plan lets it make service logins for."""
    return [purpose for purpose, feature in PURPOSE_FEATURES.items() if allows(actor.plan, feature)]


def list_service_logins(session: Session, actor: Actor) -> list[ServiceLogin]:
    """The account's service logins, the working ones first, newest first."""
    _manage(actor, None)
    return list(session.scalars(
        select(ServiceLogin).where(ServiceLogin.account_id == actor.account_id)
        .order_by(ServiceLogin.revoked_at.is_not(None), ServiceLogin.created_at.desc(), ServiceLogin.id.desc())
    ))


def create_service_login(session: Session, actor: Actor, *, data: ServiceLoginIn) -> NewPassword:
    """Make a login (`svc-` and 12 random hex digits) with a random password for one purpose."""
    _manage(actor, PURPOSE_FEATURES[data.purpose])
    password = new_secret()
    login = ServiceLogin(
        account_id=actor.account_id, purpose=data.purpose, login=f"{SERVICE_LOGIN_PREFIX}{secrets.token_hex(6)}",
        password_hash=hash_password(password), created_by=actor.user_id,
    )
    session.add(login)
    session.flush()
    return NewPassword(login, password)


def _own_login(session: Session, actor: Actor, login_id: uuid.UUID) -> ServiceLogin:
    login = session.get(ServiceLogin, login_id)
    if login is None or login.account_id != actor.account_id:
        raise NotFound()
    return login


def rotate_service_login(session: Session, actor: Actor, *, login_id: uuid.UUID) -> NewPassword:
    """Give a working service login a new password; the old one stops at once."""
    _manage(actor, None)
    login = _own_login(session, actor, login_id)
    require_feature(actor, PURPOSE_FEATURES[login.purpose])
    if login.revoked_at is not None:
        raise NotFound()
    password = new_secret()
    login.password_hash = hash_password(password)
    return NewPassword(login, password)


def revoke_service_login(session: Session, actor: Actor, *, login_id: uuid.UUID) -> ServiceLogin:
    """Stop a service login at once; it stays listed. Allowed on any plan."""
    _manage(actor, None)
    login = _own_login(session, actor, login_id)
    login.revoked_at = login.revoked_at or utcnow()
    return login


def authenticate_service_login(session: Session, *, login: str, password: str, purpose: str) -> Actor | None:
    """The account's actor for a program's HTTP Basic credentials made for `purpose`, or None.

    Wrong login, wrong password, another purpose or a revoked login are all None, told apart by
    nothing (the password is checked against a dummy hash when the login is unknown). Failures are
    counted per login like sign-ins (TooManyRequests after 10 in 15 minutes); on SQLite call this
    before the request's first query (see `ratelimit`). A plan that no longer includes the purpose
    raises PlanLimit, so the program's people are told why.
    """
    key = f"service-login:{login.strip().lower()[:100]}"
    ratelimit.attempt(session, key, limit=SERVICE_LOGIN_LIMIT, window=SERVICE_LOGIN_WINDOW)
    row = session.scalars(select(ServiceLogin).where(ServiceLogin.login == login.strip().lower())).first()
    if not verify_password(row.password_hash if row else "", password):
        return None
    if row.revoked_at is not None or row.purpose != purpose:
        return None
    ratelimit.clear(session, key)
    now = utcnow()
    if row.last_used_at is None or row.last_used_at < now - LAST_USED_EVERY:
        row.last_used_at = now
    actor = accounts.actor_for_credential(
        session, account_id=row.account_id, user_id=row.created_by, name=row.login,
        scopes=PURPOSE_SCOPES[purpose], credential_id=row.id,
    )
    require_feature(actor, PURPOSE_FEATURES[purpose])
    return actor

