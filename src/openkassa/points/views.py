"""HTML pages of the points domain: points and their settings, registers, cashiers."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request

from openkassa.accounts.deps import CurrentActor
from openkassa.accounts.roles import Permission
from openkassa.catalog import service as catalog_service
from openkassa.errors import Invalid, PlanLimit
from openkassa.i18n import _
from openkassa.points import service
from openkassa.points.models import Cashier, RetailPoint
from openkassa.points.schemas import (
    RUSSIAN_TIME_ZONES,
    CashierIn,
    CatalogChoice,
    NewPointIn,
    PointIn,
    PointSettings,
    Rounding,
    TaxSystem,
)
from openkassa.web import flash
from openkassa.web.deps import DbSession, FormData, require_csrf
from openkassa.web.forms import parse
from openkassa.web.templating import is_htmx, render, see_other

router = APIRouter(dependencies=[Depends(require_csrf)], include_in_schema=False)

CASHIER_RIGHTS = ("can_return", "can_discount", "can_change_price", "can_cash_drawer", "can_close_shift")


def _point_form(point: RetailPoint) -> dict:
    form = {
        "name": point.name, "address": point.address, "inn": point.inn, "timezone": point.timezone,
        "tax_systems": [str(int(t)) for t in TaxSystem if point.tax_systems & t],
        "default_tax_system": str(point.default_tax_system),
    }
    for field in PointSettings.model_fields:
        value = getattr(point, field)
        form[field] = str(value) if field == "rounding" else value
    return form


def _point_choices(request: Request, db, actor, **context) -> dict:
    """Everything the point form offers to choose from."""
    zones = list(RUSSIAN_TIME_ZONES)
    chosen = str(context["form"].get("timezone", ""))
    if chosen and chosen not in zones:
        zones.insert(0, chosen)
    return {
        "section": "points",
        "tax_options": [(str(int(t)), t.label) for t in TaxSystem],
        "rounding_options": [(str(int(r)), r.label) for r in Rounding],
        "timezone_options": [(z, z) for z in zones],
        "catalog_options": [(c.value, c.label) for c in CatalogChoice],
        "point_options": [(str(p.id), p.name) for p in service.list_points(db, actor)],
        **context,
    }


@router.get("/points")
def points(request: Request, db: DbSession, actor: CurrentActor, archived: bool = False):
    listed = service.list_points(db, actor, archived=archived)
    counts = catalog_service.count_products(db, actor, [p.catalog_id for p in listed])
    return render(
        request, "points/list.html", section="points", points=listed, archived=archived,
        product_counts=counts, device_counts=service.device_counts(db, actor),
    )


@router.get("/points/picker")
def picker(request: Request, db: DbSession, actor: CurrentActor):
    """The point picker of the top bar (loaded by HTMX on every page)."""
    return render(request, "points/picker.html", points=service.list_points(db, actor))


@router.get("/points/new")
def new_point_form(request: Request, db: DbSession, actor: CurrentActor):
    form = {
        "timezone": "Europe/Moscow", "tax_systems": [str(int(TaxSystem.USN_INCOME))],
        "default_tax_system": str(int(TaxSystem.USN_INCOME)), "catalog": CatalogChoice.NEW.value,
        **{k: v.default for k, v in PointSettings.model_fields.items()},
    }
    form["rounding"] = "0"
    return render(request, "points/form.html", **_point_choices(request, db, actor, form=form, errors={}, point=None))


@router.post("/points/new")
def create_point(request: Request, db: DbSession, actor: CurrentActor, form: FormData):
    try:
        point = service.create_point(db, actor, data=parse(NewPointIn, form))
    except (Invalid, PlanLimit) as error:
        errors = error.fields or {"__all__": error.message}
        return render(
            request, "points/form.html", status_code=error.status,
            **_point_choices(request, db, actor, form=form, errors=errors, point=None),
        )
    flash.add(request, _("The point «{name}» is saved. Enter its activation code on the register.").format(name=point.name))
    return see_other(f"/points/{point.id}")


def _point_page(request: Request, db, actor, point: RetailPoint, *, form=None, errors=None, status_code=200):
    return render(
        request, "points/form.html", status_code=status_code,
        **_point_choices(
            request, db, actor, form=form or _point_form(point), errors=errors or {}, point=point,
            code=service.current_activation_code(db, actor, point_id=point.id),
            sharers=service.catalog_sharers(db, actor, point=point),
            tab="settings",
        ),
    )


@router.get("/points/{point_id}")
def point(request: Request, db: DbSession, actor: CurrentActor, point_id: uuid.UUID):
    return _point_page(request, db, actor, service.get_point(db, actor, point_id))


@router.post("/points/{point_id}")
def update_point(request: Request, db: DbSession, actor: CurrentActor, point_id: uuid.UUID, form: FormData):
    existing = service.get_point(db, actor, point_id)
    try:
        service.update_point(db, actor, point_id=point_id, data=parse(PointIn, form))
    except Invalid as error:
        return _point_page(request, db, actor, existing, form=form, errors=error.fields, status_code=422)
    except PlanLimit as error:  # a feature the plan does not include, switched on
        return _point_page(request, db, actor, existing, form=form, errors={"online_shop": error.message},
                           status_code=error.status)
    flash.add(request, _("The point is saved."))
    return see_other(f"/points/{point_id}")


@router.post("/points/{point_id}/archive")
def archive_point(request: Request, db: DbSession, actor: CurrentActor, point_id: uuid.UUID, form: FormData):
    archived = form.get("archived") == "on"
    try:
        point = service.set_archived(db, actor, point_id=point_id, archived=archived)
    except PlanLimit as error:
        flash.add(request, error.message, "error")
        return see_other("/points?archived=true")
    message = _("The point «{name}» is archived.") if archived else _("The point «{name}» is restored.")
    flash.add(request, message.format(name=point.name))
    return see_other("/points" if archived else f"/points/{point_id}")


@router.post("/points/{point_id}/activation-code")
def regenerate_code(request: Request, db: DbSession, actor: CurrentActor, point_id: uuid.UUID):
    """Issue a new activation code; the old one stops working."""
    code = service.new_activation_code(db, actor, point_id=point_id)
    point = service.get_point(db, actor, point_id)
    if is_htmx(request):
        return render(request, "points/code.html", point=point, code=code)
    flash.add(request, _("A new activation code is issued."))
    return see_other(f"/points/{point_id}")


@router.get("/points/{point_id}/devices")
def devices(request: Request, db: DbSession, actor: CurrentActor, point_id: uuid.UUID):
    point = service.get_point(db, actor, point_id)
    return render(
        request, "points/devices.html", section="points", point=point, tab="devices",
        devices=service.list_devices(db, actor, point_id=point_id), ofd_days_left=service.ofd_days_left,
        warning_days=service.OFD_WARNING_DAYS, code=service.current_activation_code(db, actor, point_id=point_id),
    )


@router.post("/devices/{device_id}/unbind")
def unbind(request: Request, db: DbSession, actor: CurrentActor, device_id: uuid.UUID):
    device = service.unbind_device(db, actor, device_id=device_id)
    flash.add(request, _("The register «{name}» is unbound.").format(name=device.name))
    return see_other(f"/points/{device.point_id}/devices")


# --- cashiers ---------------------------------------------------------------------------


def _cashier_form(cashier: Cashier) -> dict:
    form = {"name": cashier.name, "inn": cashier.inn, "point_ids": [str(p.id) for p in cashier.points]}
    form.update({right: getattr(cashier, right) for right in CASHIER_RIGHTS})
    return form


def _cashier_page(request: Request, db, actor, *, cashier, form, errors, status_code=200):
    return render(
        request, "points/cashier_form.html", status_code=status_code, section="cashiers",
        cashier=cashier, form=form, errors=errors,
        point_options=[(str(p.id), p.name) for p in service.list_points(db, actor)],
        can_manage=actor.can(Permission.MANAGE),
    )


@router.get("/cashiers")
def cashiers(request: Request, db: DbSession, actor: CurrentActor):
    return render(request, "points/cashiers.html", section="cashiers", cashiers=service.list_cashiers(db, actor))


@router.get("/cashiers/new")
def new_cashier_form(request: Request, db: DbSession, actor: CurrentActor):
    points = service.list_points(db, actor)
    form = {"point_ids": [str(p.id) for p in points[:1]], "can_close_shift": True}
    return _cashier_page(request, db, actor, cashier=None, form=form, errors={})


@router.post("/cashiers/new")
def create_cashier(request: Request, db: DbSession, actor: CurrentActor, form: FormData):
    try:
        cashier = service.create_cashier(db, actor, data=parse(CashierIn, form))
    except Invalid as error:
        return _cashier_page(request, db, actor, cashier=None, form=form, errors=error.fields, status_code=422)
    flash.add(request, _("The cashier «{name}» is saved.").format(name=cashier.name))
    return see_other("/cashiers")


@router.get("/cashiers/{cashier_id}")
def cashier(request: Request, db: DbSession, actor: CurrentActor, cashier_id: uuid.UUID):
    found = service.get_cashier(db, actor, cashier_id)
    return _cashier_page(request, db, actor, cashier=found, form=_cashier_form(found), errors={})


@router.post("/cashiers/{cashier_id}")
def update_cashier(request: Request, db: DbSession, actor: CurrentActor, cashier_id: uuid.UUID, form: FormData):
    found = service.get_cashier(db, actor, cashier_id)
    try:
        service.update_cashier(
            db, actor, cashier_id=cashier_id, data=parse(CashierIn, form)
        )
    except Invalid as error:
        return _cashier_page(request, db, actor, cashier=found, form=form, errors=error.fields, status_code=422)
    flash.add(request, _("The cashier «{name}» is saved.").format(name=found.name))
    return see_other("/cashiers")


@router.post("/cashiers/{cashier_id}/archive")
def archive_cashier(request: Request, db: DbSession, actor: CurrentActor, cashier_id: uuid.UUID):
    found = service.archive_cashier(db, actor, cashier_id=cashier_id)
    flash.add(request, _("The cashier «{name}» is removed.").format(name=found.name))
    return see_other("/cashiers")
