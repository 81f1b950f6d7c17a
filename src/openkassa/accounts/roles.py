"""Roles and what each may do. Services check these; the UI only mirrors them."""

from __future__ import annotations

from enum import StrEnum

from openkassa.i18n import _


class Permission(StrEnum):
    VIEW = "view"  # see points, devices, cashiers, the catalog
    MANAGE = "manage"  # change points, devices, cashiers, the catalog
    MANAGE_USERS = "manage_users"  # invite colleagues, change roles
    BILLING = "billing"  # change the plan, pay
    REPORTS = "reports"  # build and download reports


class Role(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    ACCOUNTANT = "accountant"

    @property
    def label(self) -> str:
        return {
            Role.OWNER: _("Owner"),
            Role.MANAGER: _("Manager"),
            Role.ACCOUNTANT: _("Accountant"),
        }[self]

    @property
    def description(self) -> str:
        return {
            Role.OWNER: _("Everything, including billing and users"),
            Role.MANAGER: _("Everything but billing and users"),
            Role.ACCOUNTANT: _("Read-only access and reports"),
        }[self]


PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.MANAGER: frozenset(Permission) - {Permission.MANAGE_USERS, Permission.BILLING},
    Role.ACCOUNTANT: frozenset({Permission.VIEW, Permission.REPORTS}),
}
