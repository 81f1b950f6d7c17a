"""The OFD → FNS JSON form of a document (reference §0 "JSON name", coop-fd json conventions).

`to_json(3, fields)` gives `{"receipt": {"code": 3, "fiscalDocumentFormatVer": 4, …}}`:
integers for money (kopecks), counts, masks and flags (0/1); numbers for quantities (FVLN: an int
when integral, else a float); UnixTime integers for dates; nested objects for STLV; a list for a
repeatable tag (`items`) or any tag that repeats; the fiscal sign 1077 as the big-endian 48-bit
integer of its six bytes (§4.1); other raw bytes in base64. Tags without a JSON name (1000, 1196)
and unknown tags are left out. `from_json` inverts it, so to_json → from_json → to_json is identity.
"""

from __future__ import annotations

import base64
import binascii
import calendar
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from openkassa.fiscal.enums import FormCode
from openkassa.fiscal.errors import InvalidDocument
from openkassa.fiscal.tags import CHILDREN, NESTED_ONLY, REPEATABLE, TAGS, Kind, TagSpec
from openkassa.fiscal.tlv import Fields, Value

_EPOCH = datetime(1970, 1, 1)
_FORM_BY_NAME = {form.json_name: form.value for form in FormCode}
_FISCAL_SIGN = 1077

_FORM_JSON_NAMES: dict[int, dict[int, str]] = {21: {1213: "keyResource"}}
"""Per-form renames at the document level (coop-fd: 1213 is `keyResource` in form 21, §2.7)."""

_TOP_LEVEL = {tag: spec.json_name for tag, spec in TAGS.items() if spec.json_name and tag not in NESTED_ONLY}
_NESTED = {parent: {tag: TAGS[tag].json_name for tag in sorted(children) if TAGS[tag].json_name}
           for parent, children in CHILDREN.items()}


def _names(form: int, parent: int | None) -> dict[int, str]:
    """tag → JSON name at one level: a document's top level (parent None) or inside an STLV."""
    if parent is None:
        return _TOP_LEVEL | _FORM_JSON_NAMES.get(form, {})
    return _NESTED.get(parent, {})


def to_json(form: int, fields: Fields) -> dict[str, Any]:
    """The FNS JSON object of a document: `{document name: {"code": form, …}}`."""
    try:
        name = FormCode(form).json_name
    except ValueError:
        raise InvalidDocument(None, f"form {form} has no FNS JSON name") from None
    return {name: {"code": form, **_level_to_json(form, None, fields)}}


def from_json(data: dict[str, Any]) -> tuple[int, Fields]:
    """The form code and the requisites of an FNS JSON document (the inverse of `to_json`)."""
    if not isinstance(data, dict) or len(data) != 1:
        raise InvalidDocument(None, "expected one document object such as {\"receipt\": {…}}")
    [(name, body)] = data.items()
    form = _FORM_BY_NAME.get(name)
    if form is None:
        raise InvalidDocument(None, f"unknown document object {name!r}")
    if not isinstance(body, dict):
        raise InvalidDocument(None, f"{name} must be an object")
    body = dict(body)
    code = body.pop("code", form)
    if code != form:
        raise InvalidDocument(None, f"{name} has code {code!r}, expected {form}")
    return form, _level_from_json(form, None, body)


# --- one level -------------------------------------------------------------------------------


def _level_to_json(form: int, parent: int | None, fields: Fields) -> dict[str, Any]:
    names = _names(form, parent)
    grouped: dict[int, list[Value]] = {}
    for tag, value in fields:
        if tag in names:
            grouped.setdefault(tag, []).append(value)
    level: dict[str, Any] = {}
    for tag, values in grouped.items():
        spec = TAGS[tag]
        converted = [_value_to_json(form, spec, value) for value in values]
        level[names[tag]] = converted if tag in REPEATABLE or len(converted) > 1 else converted[0]
    return level


def _level_from_json(form: int, parent: int | None, level: dict[str, Any]) -> Fields:
    tags = {name: tag for tag, name in _names(form, parent).items()}
    fields: Fields = []
    for name, value in level.items():
        tag = tags.get(name)
        if tag is None:
            where = f"inside {parent}" if parent else "in the document"
            raise InvalidDocument(parent, f"unknown JSON name {name!r} {where}")
        spec = TAGS[tag]
        for one in value if isinstance(value, list) else [value]:
            fields.append((tag, _value_from_json(form, spec, one)))
    return fields


# --- one value -------------------------------------------------------------------------------


def _value_to_json(form: int, spec: TagSpec, value: Value) -> Any:
    kind = spec.kind
    if kind is Kind.BOOL:
        return int(value)  # flags as 0/1 (yandex schema allows the integer 1)
    if kind is Kind.FVLN:
        assert isinstance(value, Decimal)
        return int(value) if value == value.to_integral_value() else float(value)
    if kind is Kind.TIME:
        assert isinstance(value, datetime)
        return calendar.timegm(value.timetuple())
    if kind is Kind.BYTES:
        assert isinstance(value, bytes)
        if spec.number == _FISCAL_SIGN:
            return int.from_bytes(value, "big")
        return base64.b64encode(value).decode("ascii")
    if kind is Kind.STLV:
        assert isinstance(value, list)
        return _level_to_json(form, spec.number, value)
    return value  # integers and strings as they are


def _value_from_json(form: int, spec: TagSpec, value: Any) -> Value:
    kind = spec.kind

    def refuse(expected: str) -> InvalidDocument:
        return InvalidDocument(spec.number, f"{spec.json_name} ({spec.name}): expected {expected}, got {value!r}")

    if kind is Kind.STLV:
        if not isinstance(value, dict):
            raise refuse("an object")
        return _level_from_json(form, spec.number, value)
    if kind in (Kind.STRING, Kind.FIXED_STRING):
        if not isinstance(value, str):
            raise refuse("a string")
        return value
    if kind is Kind.BYTES:
        if spec.number == _FISCAL_SIGN:
            if type(value) is not int or not 0 <= value < 1 << 48:
                raise refuse("an integer 0 … 2^48 − 1")
            return value.to_bytes(6, "big")
        if not isinstance(value, str):
            raise refuse("a base64 string")
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            raise refuse("a base64 string") from None
    if kind is Kind.FVLN:
        if type(value) is int:
            return Decimal(value)
        if type(value) is float:
            return Decimal(repr(value))  # the shortest decimal that reads back as this float
        raise refuse("a number")
    if type(value) is not int:  # bool is an int subclass: JSON true/false are not our flags
        raise refuse("an integer")
    if kind is Kind.BOOL:
        if value not in (0, 1):
            raise refuse("0 or 1")
        return value == 1
    if kind is Kind.TIME:
        if not 0 <= value <= 0xFFFFFFFF:
            raise refuse("a UnixTime 0 … 4294967295")
        return _EPOCH + timedelta(seconds=value)
    return value
