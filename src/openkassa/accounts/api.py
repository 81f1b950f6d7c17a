"""JSON API of the accounts domain: who am I, and the team."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from openkassa.accounts import service
from openkassa.accounts.deps import ApiActor
from openkassa.accounts.models import User
from openkassa.accounts.schemas import InviteIn, RoleIn
from openkassa.web.deps import DbSession

router = APIRouter(prefix="/api/v1", tags=["accounts"])


class MeOut(BaseModel):
    user_id: uuid.UUID
    account_id: uuid.UUID
    name: str
    email: str
    role: str
    plan: str
    company_name: str


class UserOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    phone: str
    role: str
    is_active: bool
    invited: bool
    email_confirmed_at: datetime | None

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id, email=user.email, name=user.name, phone=user.phone, role=user.role,
            is_active=user.is_active, invited=not user.password_hash, email_confirmed_at=user.email_confirmed_at,
        )


@router.get("/me")
def me(actor: ApiActor) -> MeOut:
    """The signed-in user and their account."""
    return MeOut(
        user_id=actor.user_id, account_id=actor.account_id, name=actor.name, email=actor.email,
        role=actor.role, plan=actor.plan, company_name=actor.company_name,
    )


@router.get("/users")
def list_users(db: DbSession, actor: ApiActor) -> list[UserOut]:
    """The account's users (owners only)."""
    return [UserOut.of(u) for u in service.list_users(db, actor)]


@router.post("/users", status_code=201)
def invite_user(db: DbSession, actor: ApiActor, data: InviteIn) -> UserOut:
    """Invite a colleague by e-mail with a role."""
    return UserOut.of(service.invite(db, actor, data=data))


@router.get("/users/{user_id}")
def get_user(db: DbSession, actor: ApiActor, user_id: uuid.UUID) -> UserOut:
    return UserOut.of(service.get_user(db, actor, user_id))


@router.patch("/users/{user_id}")
def change_role(db: DbSession, actor: ApiActor, user_id: uuid.UUID, data: RoleIn) -> UserOut:
    """Change a colleague's role."""
    return UserOut.of(service.change_role(db, actor, user_id=user_id, role=data.role))
