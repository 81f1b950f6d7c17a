"""Validated input of the accounts domain, shared by the HTML forms and the JSON API."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, EmailStr, Field, StringConstraints

from openkassa.accounts.roles import Role
from openkassa.i18n import _
from openkassa.inputs import Strict, single_line
from openkassa.ids import normalize_phone


def _phone(value: str) -> str:
    try:
        return normalize_phone(value)
    except ValueError:
        raise ValueError(_("Enter a phone number such as +7 900 123-45-67.")) from None


def _password(value: str) -> str:
    if value.strip() != value or not value:
        raise ValueError(_("The password must not start or end with a space."))
    return value


Email = Annotated[EmailStr, AfterValidator(str.lower), Field(max_length=254)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30), AfterValidator(_phone)]
Password = Annotated[str, Field(min_length=8, max_length=128), AfterValidator(_password)]


class SignUpIn(Strict):
    company_name: single_line(200)
    name: single_line(120)
    phone: Phone
    email: Email
    password: Password


class SignInIn(Strict):
    email: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=254)]
    password: Annotated[str, Field(min_length=1, max_length=128)]


class EmailIn(Strict):
    email: Email


class NewPasswordIn(Strict):
    password: Password


class InviteIn(Strict):
    email: Email
    role: Role


class AcceptInviteIn(Strict):
    name: single_line(120)
    phone: Phone
    password: Password


class RoleIn(Strict):
    role: Role
