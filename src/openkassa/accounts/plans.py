"""Plans and what they include: the one place later capabilities ask "may this account…?"."""

from __future__ import annotations

from enum import StrEnum

from openkassa.i18n import _


class Plan(StrEnum):
    START = "start"
    STANDARD = "standard"
    EXTENDED = "extended"

    @property
    def label(self) -> str:
        return {
            Plan.START: _("Starter"),
            Plan.STANDARD: _("Standard"),
            Plan.EXTENDED: _("Extended"),
        }[self]


class Feature(StrEnum):
    """A gated capability. Counted features have a number; the others are yes/no."""

    POINTS = "points"
    USERS = "users"
    WAREHOUSE = "warehouse"
    ONLINE_SHOP = "online_shop"
    API_KEYS = "api_keys"
    WEBHOOKS = "webhooks"
    ONE_C = "one_c"

    @property
    def label(self) -> str:
        return {
            Feature.POINTS: _("Retail points"),
            Feature.USERS: _("Users"),
            Feature.WAREHOUSE: _("Warehouse"),
            Feature.ONLINE_SHOP: _("Online-shop documents"),
            Feature.API_KEYS: _("REST API keys"),
            Feature.WEBHOOKS: _("Webhooks"),
            Feature.ONE_C: _("1C exchange"),
        }[self]


UNLIMITED = None

# 0 = not included, N = up to N, None = unlimited. Yes/no features use 0 and 1.
_ALLOWANCES: dict[Plan, dict[Feature, int | None]] = {
    Plan.START: {
        Feature.POINTS: 2,
        Feature.USERS: 3,
        Feature.WAREHOUSE: 0,
        Feature.ONLINE_SHOP: 0,
        Feature.API_KEYS: 0,
        Feature.WEBHOOKS: 0,
        Feature.ONE_C: 0,
    },
    Plan.STANDARD: {
        Feature.POINTS: 10,
        Feature.USERS: 20,
        Feature.WAREHOUSE: 1,
        Feature.ONLINE_SHOP: 1,
        Feature.API_KEYS: 1,
        Feature.WEBHOOKS: 0,
        Feature.ONE_C: 1,
    },
    Plan.EXTENDED: {
        Feature.POINTS: UNLIMITED,
        Feature.USERS: UNLIMITED,
        Feature.WAREHOUSE: 1,
        Feature.ONLINE_SHOP: 1,
        Feature.API_KEYS: 1,
        Feature.WEBHOOKS: 1,
        Feature.ONE_C: 1,
    },
}


def allowance(plan: Plan | str, feature: Feature) -> int | None:
    """How much of a feature a plan includes: 0 (none), a number, or None (unlimited)."""
    return _ALLOWANCES[Plan(plan)][feature]


def allows(plan: Plan | str, feature: Feature, *, in_use: int = 0) -> bool:
    """May an account on this plan use the feature (once more, when `in_use` are counted)?"""
    limit = allowance(plan, feature)
    return limit is UNLIMITED or in_use < limit
