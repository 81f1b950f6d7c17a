"""Reading a submitted HTML form into a validated model."""

from __future__ import annotations

from typing import TypeVar, get_origin

from pydantic import BaseModel

from openkassa.errors import validate

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], form: dict) -> M:
    """The form as `model`, with the browser's habits undone: an unticked checkbox sends nothing
    (so a missing bool is False), and a group of boxes sends one value, several, or none (a list)."""
    data = dict(form)
    for name, field in model.model_fields.items():
        if field.annotation is bool:
            data[name] = data.get(name) == "on"
        elif get_origin(field.annotation) is list and isinstance(data.get(name, ""), str):
            data[name] = [data[name]] if data.get(name) else []
    return validate(model, data)
