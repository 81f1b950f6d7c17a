"""Dependencies every route uses: the database session, the client's address, CSRF."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from openkassa.errors import Forbidden
from openkassa.i18n import _
from openkassa.web.security import csrf_is_valid


def _session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on an error.

    A request that may write (not GET, HEAD or OPTIONS) asks for the write lock with its first
    statement (see `Database.transaction`), so it waits for a concurrent writer, such as an
    import being checked, instead of failing."""
    writes = request.method not in ("GET", "HEAD", "OPTIONS")
    with request.app.state.db.transaction(immediate=writes) as session:
        yield session


# scope="function": commit before the response is sent, so a failed commit is a failed request.
DbSession = Annotated[Session, Depends(_session, scope="function")]


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


ClientIp = Annotated[str, Depends(_client_ip)]


async def require_csrf(request: Request) -> None:
    """Refuse a state-changing request that does not carry the page's CSRF token."""
    if not await csrf_is_valid(request):
        raise Forbidden(_("The form has expired. Reload the page and try again."))


async def form_data(request: Request) -> dict[str, str | list[str]]:
    """The submitted form as a dict; fields sent several times (checkboxes) become lists."""
    form = await request.form()
    data: dict[str, str | list[str]] = {}
    for key in form.keys():
        if key == "csrf_token":
            continue
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        data[key] = values if len(values) > 1 or key.endswith("[]") else (values[0] if values else "")
    return {k.removesuffix("[]"): v for k, v in data.items()}


FormData = Annotated[dict, Depends(form_data)]
