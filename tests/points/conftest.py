"""Fixtures of the points domain: expired codes, reading codes and field errors off pages, a
stranger's account. Points and registers bound to them are shared fixtures (tests/conftest.py)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from openkassa.db import utcnow
from openkassa.points.models import ActivationCode

@pytest.fixture
def expire_codes(db):
    """Make every activation code of a point older than its 24 hours."""

    def expire(point_id) -> None:
        with db.transaction() as session:
            session.execute(
                update(ActivationCode)
                .where(ActivationCode.point_id == uuid.UUID(str(point_id)))
                .values(expires_at=utcnow() - timedelta(minutes=1))
            )

    return expire


CODE_ON_PAGE = re.compile(r'data-code="([A-Z0-9]+)"[^>]*>([A-Z0-9]{4}-[A-Z0-9]{4})<')


def code_on_page(html: str) -> str | None:
    """The activation code shown on a point's page (as stored), or None."""
    found = CODE_ON_PAGE.search(html)
    return found.group(1) if found else None


FIELD_BLOCK = re.compile(r'<(div|fieldset) class="field[^"]*has-error[^"]*">(.*?)</\1>', re.S)
ERROR_TEXT = re.compile(r'<p class="error"[^>]*>(.*?)</p>', re.S)


def field_error(html: str, name: str) -> str | None:
    """The error message a re-rendered form shows under the field `name`, or None."""
    for _tag, block in FIELD_BLOCK.findall(html):
        if f'name="{name}"' in block or f'name="{name}[]"' in block:
            found = ERROR_TEXT.search(block)
            return found.group(1).strip() if found else None
    return None


@pytest.fixture
def page_code():
    """Read the activation code off a page (None when none is shown)."""
    return code_on_page


@pytest.fixture
def error_on():
    """Read a field's message off a re-rendered form."""
    return field_error
