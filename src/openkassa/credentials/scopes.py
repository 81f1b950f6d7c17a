"""What an API key may do (its scopes), and how each JSON API router says which scope its routes need.

A router declares it once with `key_access(read=…, write=…)` among its dependencies: GET and HEAD
need `read`, every other method `write` (None: not with a key). `ApiActor` reads the declaration off
the route it serves; a route without one is never reachable by a key, so a new route cannot forget
its scope and be open by mistake: it is closed until declared.
"""

from __future__ import annotations

from enum import StrEnum

from fastapi import Depends, Request
from fastapi.routing import iter_route_contexts
from fastapi.security import HTTPBearer

from openkassa.i18n import _


class Scope(StrEnum):
    CATALOG_READ = "catalog:read"
    CATALOG_WRITE = "catalog:write"
    SALES_READ = "sales:read"
    STOCK_READ = "stock:read"
    STOCK_WRITE = "stock:write"
    REPORTS = "reports"

    @property
    def label(self) -> str:
        return {
            Scope.CATALOG_READ: _("Catalog: read"),
            Scope.CATALOG_WRITE: _("Catalog: change"),
            Scope.SALES_READ: _("Sales and statistics: read"),
            Scope.STOCK_READ: _("Stock: read"),
            Scope.STOCK_WRITE: _("Stock: change"),
            Scope.REPORTS: _("Reports: ask and download"),
        }[self]


ANY_SCOPE = "any"
"""A route any valid key may read (the points, whose ids every other call needs)."""

READ_METHODS = frozenset({"GET", "HEAD"})

API_KEY_HELP = (
    "Programs authenticate with an API key made by the account's owner on the «Integrations» page: "
    "send `Authorization: Bearer ok_live_…` with every request (no cookie, no CSRF token). "
    "A key acts for its account with its scopes only: the scope a call needs is named in its description. "
    "A missing scope is 403, an unknown or revoked key 401, and more requests a minute than the limit "
    "429 with `Retry-After` (seconds)."
)


class KeyAccess(HTTPBearer):
    """The scopes a router's routes need from an API key; also the key's entry in the OpenAPI docs.

    The check itself is made by `ApiActor`, which finds this on the matched route; calling it does nothing.
    """

    def __init__(self, *, read: Scope | str | None, write: Scope | None):
        super().__init__(auto_error=False, scheme_name="ApiKey", description=API_KEY_HELP)
        self.read, self.write = read, write

    def scope_for(self, method: str) -> Scope | str | None:
        """The scope a request of this method needs (None: keys may not)."""
        return self.read if method.upper() in READ_METHODS else self.write

    async def __call__(self, request: Request) -> None:  # type: ignore[override]
        return None


def key_access(*, read: Scope | str | None, write: Scope | None = None):
    """The dependency a JSON API router (or one route) lists to be reachable by API keys."""
    return Depends(KeyAccess(read=read, write=write))


def route_key_access(request: Request) -> KeyAccess | None:
    """The declaration on the route serving this request; the last one wins (a route's own over its router's)."""
    route = request.scope.get("route")
    found = None
    for dependency in getattr(route, "dependencies", ()):
        if isinstance(dependency.dependency, KeyAccess):
            found = dependency.dependency
    return found


def document_scopes(schema: dict, routes) -> None:
    """Name in each operation of the OpenAPI schema the scope an API key needs for it (`x-api-key-scope`
    and a line of its description); operations without one say keys cannot use them."""
    for route in iter_route_contexts(routes):  # the routes of included routers, with their dependencies
        methods = getattr(route, "methods", None)
        if not methods or not getattr(route, "include_in_schema", False):
            continue
        operations = schema.get("paths", {}).get(route.path_format, {})
        access = next((d.dependency for d in reversed(route.dependencies) if isinstance(d.dependency, KeyAccess)), None)
        for method in methods:
            operation = operations.get(method.lower())
            if operation is None or "/api/v1/" not in route.path_format:
                continue
            scope = access.scope_for(method) if access else None
            operation["x-api-key-scope"] = scope
            if scope is None:
                line = "API keys: not allowed (sign in to the back office)."
            elif scope == ANY_SCOPE:
                line = "API keys: any key of the account."
            else:
                line = f"API keys: scope `{scope}`."
            operation["description"] = (operation.get("description", "") + "\n\n" + line).strip()
