"""Tables of the credentials domain: API keys for the public REST API and service logins for
programs that speak HTTP Basic (the online shop's API, the 1C exchange).

Neither secret is stored: a key (256 random bits) is kept as its SHA-256 (`ids.secret_hash`), which
finds it by an index; a service login's password as an argon2 hash, as people's passwords are.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from openkassa.db import Base, IdMixin, utcnow

ONLINE_SHOP = "online_shop"
ONE_C = "one_c"
PURPOSES = (ONLINE_SHOP, ONE_C)


class ApiKey(IdMixin, Base):
    """A key a program sends as `Authorization: Bearer …`: it acts for its account with its scopes.

    `window_start` and `window_requests` count the requests of the current minute (the rate limit);
    they live on the key's row so that finding the key and counting the request are one UPDATE."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_account", "account_id", "created_at"),)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))  # the key's first characters, shown in lists
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(200))  # space-separated, from scopes.Scope
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]  # moved at most once a minute (the first request of a window)
    revoked_at: Mapped[datetime | None]
    window_start: Mapped[datetime | None]
    window_requests: Mapped[int] = mapped_column(default=0)

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()


class ServiceLogin(IdMixin, Base):
    """Machine credentials for HTTP Basic, made for one purpose (`PURPOSES`)."""

    __tablename__ = "service_logins"
    __table_args__ = (Index("ix_service_logins_account", "account_id", "created_at"),)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    purpose: Mapped[str] = mapped_column(String(16))
    login: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
