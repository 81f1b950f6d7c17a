"""Validated input of the credentials domain, shared by the ЛК's forms and the service."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from openkassa.credentials.scopes import Scope
from openkassa.inputs import Strict, single_line


class ApiKeyIn(Strict):
    """A new API key: what it is for (a name to recognise it by) and what it may do."""

    name: single_line(100)
    scopes: list[Scope] = Field(min_length=1)


class ServiceLoginIn(Strict):
    """A new service login for one program."""

    purpose: Literal["online_shop", "one_c"]
