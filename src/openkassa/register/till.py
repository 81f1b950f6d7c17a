"""The till: everything a cashier does, without a screen — the Textual app and the headless mode
drive it, and so do the tests.

It holds the three local stores — the fiscal drive (`drive.db`, the software drive by default),
the journal (`register.db`, see `journal.py`) and the catalog cache (`catalog.db`) — and the
cashier's current receipt. Every operation works offline: what the server must learn goes to the
journal's outbox and `sync.py` uploads it when it can.

Durability, step by step (a register may be killed at any instruction):
1. the operation is written to the journal as an intent, with the number the drive will give it;
2. the drive signs (and durably stores) the document;
3. the document joins the outbox and the intent goes, in one transaction.
`recover()`, run at every start, completes each intent the drive did (its document is in the
drive's archive under the expected number, or its cash operation under its request id) and drops
the others; then any document of the drive the journal has never seen (the registration report,
say) is queued as a fiscal report. So a receipt the drive signed is uploaded exactly once, and
one it did not sign never is.

Rights: a cashier signs in with a PIN; the ЛК's rights (returns, discounts, price change, cash
drawer, closing the shift) and the point's settings (free price, returns without a receipt, the
payment kinds, carry-over cash) are checked here, with a message in Russian for the cashier.
"""

from __future__ import annotations

import re
import secrets
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from openkassa.fiscal import documents as fiscal
from openkassa.fiscal import layout, qr, tlv
from openkassa.fiscal.arithmetic import line_amount, round_down
from openkassa.fiscal.device import ShiftState, XReport
from openkassa.fiscal.drive import OFD_WAIT_LIMIT, SHIFT_LIMIT, SoftwareDrive
from openkassa.fiscal.enums import CorrectionType, FormCode, ItemType, SettlementType, TaxSystem, Unit, VatRate
from openkassa.fiscal.errors import FiscalError
from openkassa.protocol import documents as protocol
from openkassa.protocol.changes import CashierLine, PointLine
from openkassa.register import sale
from openkassa.register.catalog import LocalCatalog, Product
from openkassa.register.journal import Journal

SHIFT_WARNING = timedelta(hours=1)  # the cashier is told this long before the 24-hour rule bites
OFD_WARNING = timedelta(days=5)  # … and this long before the 30-day rule does
KKT_VERSION = "1.0"


class TillError(Exception):
    """A refusal for the cashier, in words they understand."""


@dataclass
class Cart:
    """The receipt being rung up (or a parked one): lines, the receipt discount, the buyer's contact."""

    id: uuid.UUID = field(default_factory=uuid.uuid4)
    lines: list[sale.CartLine] = field(default_factory=list)
    receipt_discount: int = 0
    buyer_contact: str = ""
    settlement: SettlementType = SettlementType.SALE
    original_id: uuid.UUID | None = None  # a return: the receipt it returns

    @property
    def subtotal(self) -> int:
        return sum(line_amount(line.price, line.quantity) - line.discount for line in self.lines)

    @property
    def due(self) -> int:
        return max(0, self.subtotal - self.receipt_discount)

    def as_json(self) -> dict:
        return {
            "id": str(self.id), "receipt_discount": self.receipt_discount, "buyer_contact": self.buyer_contact,
            "settlement": int(self.settlement), "original_id": str(self.original_id) if self.original_id else None,
            "lines": [{"product_id": str(line.product_id) if line.product_id else None, "name": line.name,
                       "price": line.price, "quantity": line.quantity, "vat": int(line.vat), "unit": int(line.unit),
                       "kind": int(line.kind), "discount": line.discount, "origin": line.origin} for line in self.lines],
        }

    def lines_as_returned(self) -> list[protocol.Line]:
        """A parked return's lines as a return would upload them (for what is left to return)."""
        return [protocol.Line(product_id=line.product_id, name=line.name, price=line.price, quantity=line.quantity,
                              discount=line.discount, amount=line_amount(line.price, line.quantity) - line.discount,
                              vat=int(line.vat), origin=line.origin) for line in self.lines]

    @classmethod
    def from_json(cls, data: dict) -> Cart:
        lines = [sale.CartLine(product_id=uuid.UUID(line["product_id"]) if line["product_id"] else None, name=line["name"],
                               price=line["price"], quantity=line["quantity"], vat=VatRate(line["vat"]),
                               unit=Unit(line["unit"]), kind=ItemType(line["kind"]), discount=line["discount"],
                               origin=line.get("origin"))
                 for line in data["lines"]]
        return cls(id=uuid.UUID(data["id"]), lines=lines, receipt_discount=data["receipt_discount"],
                   buyer_contact=data["buyer_contact"], settlement=SettlementType(data["settlement"]),
                   original_id=uuid.UUID(data["original_id"]) if data["original_id"] else None)


@dataclass(frozen=True)
class Done:
    """A receipt signed: the document uploaded, the fiscal receipt, the change and its printout."""

    document: protocol.Receipt
    receipt: fiscal.Receipt | fiscal.CorrectionReceipt
    change: int

    def text(self, width: int = 32, header: tuple[str, ...] = (), footer: tuple[str, ...] = ()) -> str:
        return layout.render(self.receipt, width=width, header=header, footer=footer, qr_code="none")

    @property
    def qr(self) -> str:
        return qr.build(qr.of_receipt(self.receipt))


@dataclass(frozen=True)
class Status:
    """What the screen shows in its status line, warnings first."""

    shift: int
    shift_state: ShiftState
    shift_opened_at: datetime | None
    unsynced: int  # documents in the outbox the server has not confirmed
    unsent_to_ofd: int
    warnings: tuple[str, ...]


class Till:
    """The register's working state. Open it with `Till.open(data_dir)`; call `recover()` first."""

    def __init__(self, folder: Path, journal: Journal, catalog: LocalCatalog, drive: SoftwareDrive | None,
                 clock: Callable[[], datetime] | None = None):
        self.folder = folder
        self.journal = journal
        self.catalog = catalog
        self.drive = drive
        self._clock = clock
        self.cashier: CashierLine | None = None
        self.cart = Cart()
        self._fiscal_lock = threading.RLock()  # the screen and the online-shop desk take turns at the drive

    @classmethod
    def open(cls, folder: str | Path, *, clock: Callable[[], datetime] | None = None) -> Till:
        """The register whose files are in `folder` (made if new); the drive opens once it exists."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        journal = Journal.open(folder / "register.db")
        catalog = LocalCatalog.open(folder / "catalog.db")
        till = cls(folder, journal, catalog, None, clock)
        if (folder / "drive.db").exists():
            till.drive = SoftwareDrive.open(folder / "drive.db", clock=till._local_now)
        return till

    def close(self) -> None:
        if self.drive is not None:
            self.drive.close()
        self.catalog.close()
        self.journal.close()

    def __enter__(self) -> Till:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- time and settings ----------------------------------------------------------------------------

    def now(self) -> datetime:
        """Now, aware (UTC) — documents' `made_at`."""
        return self._clock() if self._clock else datetime.now(UTC)

    def _local_now(self) -> datetime:
        """The local time at the point (naive), as the drive writes it (1012), in the time zone the
        drive was registered in: a zone changed in the ЛК later must not move the drive's clock
        back (it would refuse everything) — the cashier is warned instead (`status`)."""
        zone = self.journal.get("timezone") or (self.catalog.point().timezone if self.catalog.point() else "UTC")
        return self.now().astimezone(ZoneInfo(zone)).replace(tzinfo=None)

    @property
    def point(self) -> PointLine:
        point = self.catalog.point()
        if point is None:
            raise TillError("Касса ещё не получила настройки точки: подключите её к серверу.")
        return point

    # --- the fiscal drive -----------------------------------------------------------------------------

    def ensure_drive(self, *, kkt_serial: str = "", ofd_name: str = "OpenKassa") -> SoftwareDrive:
        """The register's software drive: made and registered for the point at first use.

        The back office plays the OFD for it: `ofd_name`, and the seller's own INN as the operator's
        (a self-hosted back office belongs to the seller). The registration number is random."""
        point = self.point
        path = self.folder / "drive.db"
        drive = self.drive
        if drive is None:
            drive = SoftwareDrive.open(path, clock=self._local_now) if path.exists() else SoftwareDrive.create(path, clock=self._local_now)
        if drive.status().registration is None:  # new, or its making was cut short
            self.journal.set(timezone=point.timezone)
            report = fiscal.RegistrationReport(
                kkt_serial=(kkt_serial or f"{secrets.randbelow(10**14):014d}")[:20], kkt_version=KKT_VERSION,
                cashier="Администратор", tax_systems=TaxSystem(sum(point.tax_systems)), key_resource_days=0,
                ofd_inn=point.inn, ofd_name=ofd_name)
            drive.register(report, registration_number=f"{secrets.randbelow(10**16):016d}", user_inn=point.inn,
                           user=point.name, address=point.address, place=point.name)
        self.drive = drive
        self.recover()
        return drive

    def _drive(self) -> SoftwareDrive:
        if self.drive is None:
            raise TillError("Фискальный накопитель не подключён.")
        return self.drive

    def recover(self) -> int:
        """Complete or drop what a crash left half done; queue the drive's documents the journal lacks.
        Returns how many documents joined the outbox.

        A receipt or correction is the drive's document signed for the operation's id; a shift
        report, the document under the number the drive was to give it, if it is of that form and no
        other operation of the journal has that number; a cash operation, the one made under its id —
        except the opening cash of a shift that did open, which is made now (the shift's opening
        carries it). The rest never happened: dropped (a receipt's cart comes back as parked)."""
        drive = self.drive
        if drive is None:
            return 0
        added = 0
        intents = self.journal.intents()
        for intent in sorted(intents, key=lambda intent: intent.kind == "cash"):  # shifts before their opening cash
            body = {key: value for key, value in intent.body.items() if key not in ("cart", "opening")}
            if intent.kind == "cash":
                added += self._recover_cash(intent, body)
                continue
            found = None
            if intent.kind in ("receipt", "correction"):
                found = drive.document_for(str(intent.id))
            elif (intent.expected_number is not None and intent.expected_number <= drive.status().last_document_number
                  and intent.expected_number not in self.journal.fiscal_numbers()):
                data = drive.document(intent.expected_number)
                if tlv.decode_document(data)[0] == _FORM_OF[intent.kind]:
                    found = (intent.expected_number, data)
            if found is None:
                self.journal.abandon(intent.id)
                if "cart" in intent.body:
                    self.journal.park(uuid.UUID(intent.body["cart"]["id"]), intent.body["cart"])  # to ring up again
                continue
            signed = fiscal.decode(found[1])
            self._complete(protocol.DOCUMENT.validate_python(body | {"fiscal": found[1], "shift": signed.stamp.shift}), signed)
            added += 1
        known = self.journal.fiscal_numbers()
        for number in sorted(set(range(1, drive.status().last_document_number + 1)) - known):
            report = protocol.FiscalReport(id=uuid.uuid4(), made_at=self.now(), fiscal=drive.document(number))
            added += self.journal.queue(report, fiscal_number=number)
        # Sent, but the drive still waits for the OFD's word (its answer was lost): send them again.
        self.journal.resend(number for number, _data in drive.unsent(limit=1_000_000))
        return added

    def _recover_cash(self, intent, body: dict) -> int:
        drive = self._drive()
        if drive.cash_operation(str(intent.id)) is None:
            status = drive.status()
            if not (intent.body.get("opening") and status.shift_state is ShiftState.OPEN and status.shift == body["shift"]):
                self.journal.abandon(intent.id)
                return 0
            try:
                drive.cash_in(body["amount"], request_id=str(intent.id))
            except FiscalError:  # the shift ran past its 24 hours meanwhile: the close report counts the drawer
                self.journal.abandon(intent.id)
                return 0
        self.journal.complete(protocol.DOCUMENT.validate_python(body))
        return 1

    def _settled(self) -> None:
        """Before a new operation: finish whatever an earlier one left half done (an error, a crash);
        not while the online-shop desk is signing (its intent is no leftover)."""
        with self._fiscal_lock:
            if self.journal.intents():
                self.recover()

    def _complete(self, document: protocol.Document, signed: fiscal.Document) -> None:
        stamp = signed.stamp
        receipt = None
        if isinstance(signed, fiscal.Receipt | fiscal.CorrectionReceipt):
            receipt = dict(shift=stamp.shift, number=stamp.receipt_number, fiscal_number=stamp.document_number,
                           fiscal_sign=stamp.fiscal_sign_printed, settlement=int(signed.settlement), total=signed.total)
        self.journal.complete(document, fiscal_number=stamp.document_number, receipt=receipt)

    def _fiscal(self, kind: str, body: dict, form: Callable[[], fiscal.Document]) -> tuple[protocol.Document, fiscal.Document]:
        """Steps 1–3 of the module docstring for one fiscal document: `body` is the document to upload
        (its `fiscal` empty; `cart`, for a receipt, to resume it if the drive never signs)."""
        with self._fiscal_lock:
            return self._fiscal_unlocked(kind, body, form)

    def _fiscal_unlocked(self, kind: str, body: dict, form: Callable[[], fiscal.Document]) -> tuple[protocol.Document, fiscal.Document]:
        drive = self._drive()
        document_id = uuid.UUID(body["id"])
        self.journal.intend(document_id, kind, body, drive.status().last_document_number + 1)
        try:
            signed = form()
        except FiscalError as error:
            self.journal.abandon(document_id)
            raise TillError(_drive_refusal(error)) from error
        body = {key: value for key, value in body.items() if key != "cart"}
        document = protocol.DOCUMENT.validate_python(body | {"fiscal": signed.to_bytes(), "shift": signed.stamp.shift})
        self._complete(document, signed)
        return document, signed

    def status(self) -> Status:
        """The shift, the queues and what the cashier must be warned of."""
        warnings = []
        unsynced = self.journal.unsent_count()
        if self.drive is None:
            return Status(0, ShiftState.CLOSED, None, unsynced, 0, ("Фискальный накопитель не подключён.",))
        drive = self.drive.status()
        now = self._local_now()
        if drive.shift_state is ShiftState.EXPIRED:
            warnings.append("Смена открыта больше 24 часов: закройте её, продавать нельзя.")
        elif drive.shift_state is ShiftState.OPEN and drive.shift_opened_at + SHIFT_LIMIT - now <= SHIFT_WARNING:
            minutes = max(0, int((drive.shift_opened_at + SHIFT_LIMIT - now).total_seconds() // 60))
            warnings.append(f"Смена закроется по правилу 24 часов через {minutes} мин.: закройте её вовремя.")
        if drive.ofd_blocked:
            warnings.append("Документы не переданы в ОФД 30 дней: касса не может продавать, подключите её к сети.")
        elif drive.first_unsent_date is not None and drive.first_unsent_date + OFD_WAIT_LIMIT - now <= OFD_WARNING:
            days = max(0, (drive.first_unsent_date + OFD_WAIT_LIMIT - now).days)
            warnings.append(f"Документы не переданы в ОФД: через {days} дн. касса перестанет продавать.")
        point, zone = self.catalog.point(), self.journal.get("timezone")
        if point is not None and zone and point.timezone != zone:
            warnings.append(f"Часовой пояс точки сменился на {point.timezone}, касса считает время по {zone}: "
                            "перерегистрируйте кассу.")
        return Status(drive.shift, drive.shift_state, drive.shift_opened_at, unsynced, drive.unsent_count, tuple(warnings))

    # --- the cashier ------------------------------------------------------------------------------------

    def sign_in(self, pin: str) -> CashierLine:
        cashier = self.catalog.cashier_by_pin(pin)
        if cashier is None:
            raise TillError("Неверный PIN-код.")
        self.cashier = cashier
        return cashier

    def sign_out(self) -> None:
        """The cashier leaves: a receipt begun is parked for them, not left to the next cashier."""
        if self.cart.lines:
            self.park()
        self.cashier = None

    def _need(self, right: str | None = None) -> CashierLine:
        if self.cashier is None:
            raise TillError("Войдите по PIN-коду.")
        if right is not None and not getattr(self.cashier, right):
            raise TillError({
                "can_return": "У вас нет права оформлять возвраты.",
                "can_discount": "У вас нет права давать скидки.",
                "can_change_price": "У вас нет права менять цену.",
                "can_cash_drawer": "У вас нет права вносить и выплачивать наличные.",
                "can_close_shift": "У вас нет права закрывать смену.",
            }[right])
        return self.cashier

    def _cashier_name(self) -> tuple[str | None, str | None]:
        cashier = self.cashier
        return (cashier.name[:64], cashier.inn or None) if cashier else (None, None)

    # --- the shift ---------------------------------------------------------------------------------------

    @property
    def carried_over(self) -> int:
        """Cash left in the drawer by the last shift, when the point carries it over."""
        return self.journal.carried_over()

    def open_shift(self, cash: int | None = None) -> fiscal.ShiftOpenReport:
        """Open a shift with `cash` in the drawer (what the last shift left, by default). The opening
        cash goes into the drawer as a cash-in, as registers record it; it is written down before
        the drive opens the shift, so a crash between the two still puts it there (`recover`)."""
        cashier = self._need()
        self._settled()
        if cash is None:
            cash = self.carried_over
        if cash < 0:
            raise TillError("Сумма в ящике не может быть отрицательной.")
        drive = self._drive()
        shift = drive.status().shift + 1
        with _checked():
            body = protocol.ShiftOpen(id=uuid.uuid4(), made_at=self.now(), cashier_id=cashier.id, shift=shift, cash=cash,
                                      fiscal=b"").model_dump(mode="json")
            opening = None
            if cash:
                opening = protocol.CashOperation(id=uuid.uuid4(), made_at=self.now(), cashier_id=cashier.id, shift=shift,
                                                 kind="in", amount=cash, reason="Остаток на начало смены")
        if opening is not None:
            self.journal.intend(opening.id, "cash", opening.model_dump(mode="json") | {"opening": True}, None)
        name, inn = self._cashier_name()
        try:
            _document, report = self._fiscal("shift_open", body, lambda: drive.open_shift(cashier=name, cashier_inn=inn))
        except TillError:
            if opening is not None:
                self.journal.abandon(opening.id)
            raise
        if opening is not None:
            drive.cash_in(cash, cashier=name, request_id=str(opening.id))
            self.journal.complete(opening)
        return report

    def x_report(self) -> XReport:
        self._need()
        try:
            return self._drive().x_report()
        except FiscalError as error:
            raise TillError(_drive_refusal(error)) from error

    def cash_in(self, amount: int, reason: str = "") -> None:
        self._need("can_cash_drawer")
        self._settled()
        self._cash("in", amount, reason)

    def cash_out(self, amount: int, reason: str = "") -> None:
        self._need("can_cash_drawer")
        self._settled()
        self._cash("out", amount, reason)

    def _cash(self, kind: str, amount: int, reason: str) -> None:
        if amount <= 0:
            raise TillError("Сумма должна быть больше нуля.")
        drive = self._drive()
        with _checked():
            document = protocol.CashOperation(id=uuid.uuid4(), made_at=self.now(), cashier_id=self.cashier.id if self.cashier else None,
                                              shift=max(1, drive.status().shift), kind=kind, amount=amount, reason=reason[:256])
        name, _inn = self._cashier_name()
        with self._fiscal_lock:
            self.journal.intend(document.id, "cash", document.model_dump(mode="json"), None)
            try:
                (drive.cash_in if kind == "in" else drive.cash_out)(amount, cashier=name, request_id=str(document.id))
            except FiscalError as error:
                self.journal.abandon(document.id)
                raise TillError(_drive_refusal(error)) from error
            self.journal.complete(document)

    def close_shift(self, counted_cash: int, carry_over: int = 0) -> fiscal.ShiftCloseReport:
        cashier = self._need("can_close_shift")
        if counted_cash < 0 or carry_over < 0:
            raise TillError("Суммы не могут быть отрицательными.")
        if carry_over and not self.point.carry_over_cash:
            raise TillError("Точка не переносит остаток наличных на следующую смену.")
        if carry_over > counted_cash:
            raise TillError("Нельзя оставить в ящике больше, чем в нём есть.")
        self._settled()
        drive = self._drive()
        shift = drive.status().shift
        with _checked():
            body = protocol.ShiftClose(id=uuid.uuid4(), made_at=self.now(), cashier_id=cashier.id, shift=max(1, shift),
                                       counted_cash=counted_cash, carried_over=carry_over, fiscal=b"").model_dump(mode="json")
        name, inn = self._cashier_name()
        _document, report = self._fiscal("shift_close", body, lambda: drive.close_shift(cashier=name, cashier_inn=inn))
        return report

    # --- the receipt being rung up ----------------------------------------------------------------------

    def scan(self, code: str) -> sale.CartLine | None:
        """A barcode as a scanner types it: the product joins the receipt (one more if it is there
        already); None when no product has this barcode."""
        product = self.catalog.by_barcode(code.strip())
        return None if product is None else self.add(product)

    def search(self, text: str, limit: int = 20) -> list[Product]:
        return self.catalog.search(text, limit)

    def add(self, product: Product, quantity: int | None = None, price: int | None = None) -> sale.CartLine:
        """Put a product on the receipt: `quantity` in thousandths (a weight, say; one piece by default),
        `price` when the cashier sets it (a free-price product, or with the right to change prices)."""
        self._need()
        self._editable()
        if product.archived:
            raise TillError("Товар снят с продажи.")
        if price is not None and price != product.price:
            if not product.free_price:
                if not self.point.allow_price_change:
                    raise TillError("На этой точке цену менять нельзя.")
                self._need("can_change_price")
            if price < product.min_price:
                raise TillError("Цена ниже минимальной для этого товара.")
        elif product.free_price and product.price == 0:
            raise TillError("Укажите цену: у товара свободная цена.")
        if quantity is None:
            if product.by_weight:
                raise TillError("Укажите вес товара.")
            quantity = 1000
        if quantity <= 0:
            raise TillError("Количество должно быть больше нуля.")
        price = product.price if price is None else price
        try:
            vat, unit, kind = VatRate(product.vat), Unit(product.unit), ItemType(product.kind)
        except ValueError:
            raise TillError("У товара ставка НДС, единица или признак, неизвестные этой версии кассы: обновите её.") from None
        for line in self.cart.lines:
            if line.product_id == product.id and line.price == price and not line.discount and not product.by_weight:
                self._fits(price, line.quantity + quantity)
                line.quantity += quantity
                return line
        self._fits(price, quantity)
        line = sale.CartLine(product_id=product.id, name=product.name[:128], price=price, quantity=quantity,
                             vat=vat, unit=unit, kind=kind)
        self.cart.lines.append(line)
        return line

    def add_free(self, name: str, price: int, vat: VatRate = VatRate.NO_VAT) -> sale.CartLine:
        """A sale at a free price of something not in the catalog, when the point allows it."""
        self._need()
        self._editable()
        if not self.point.allow_free_price_sale:
            raise TillError("На этой точке нельзя продавать по свободной цене.")
        if price <= 0 or not name.strip():
            raise TillError("Укажите название и цену.")
        self._fits(price, 1000)
        line = sale.CartLine(product_id=None, name=name.strip()[:128], price=price, vat=vat)
        self.cart.lines.append(line)
        return line

    def new_product(self, barcode: str, name: str, price: int) -> sale.CartLine:
        """An unknown barcode made into a product: it is sold now and joins the point's catalog once uploaded."""
        self._need()
        self._editable()
        if not name.strip() or price <= 0:
            raise TillError("Укажите название и цену нового товара.")
        self._fits(price, 1000)
        try:
            document = protocol.NewProduct(id=uuid.uuid4(), made_at=self.now(), cashier_id=self.cashier.id,
                                           name=name.strip()[:128], barcode=barcode.strip(), price=price)
        except ValidationError as error:
            raise TillError(f"Товар не создан: {_first_problem(error)}") from error
        self.journal.queue(document)
        line = sale.CartLine(product_id=document.id, name=document.name, price=price)
        self.cart.lines.append(line)
        return line

    def set_quantity(self, index: int, quantity: int) -> None:
        self._editable()
        line = self._line(index)
        if quantity <= 0:
            raise TillError("Количество должно быть больше нуля.")
        if line.unit is Unit.PIECE and quantity % 1000:
            raise TillError("Штучный товар продаётся целыми штуками.")
        self._fits(line.price, quantity)
        line.quantity = quantity
        line.discount = min(line.discount, line_amount(line.price, quantity))

    def set_price(self, index: int, price: int) -> None:
        """Change a line's price: a free-price product's at will, another's with the point's leave
        and the cashier's right, never below the product's minimum price."""
        self._editable()
        line = self._line(index)
        product = self.catalog.product(line.product_id) if line.product_id else None
        if price <= 0:
            raise TillError("Цена должна быть больше нуля.")
        if product is not None and not product.free_price and price != product.price:
            if not self.point.allow_price_change:
                raise TillError("На этой точке цену менять нельзя.")
            self._need("can_change_price")
        if product is not None and price < product.min_price:
            raise TillError("Цена ниже минимальной для этого товара.")
        self._fits(price, line.quantity)
        line.price = price
        line.discount = min(line.discount, line_amount(price, line.quantity))

    def to_pay(self) -> int:
        """What the buyer pays for the receipt: after its discounts and, for a sale, the point's rounding."""
        due = self.cart.due
        if self.cart.settlement is SettlementType.SALE and self.point.rounding:
            return round_down(due, self.point.rounding)
        return due

    def remove(self, index: int) -> None:
        self._line(index)
        del self.cart.lines[index]

    def discount_line(self, index: int, *, amount: int = 0, percent: int = 0) -> None:
        self._need("can_discount")
        self._editable()
        line = self._line(index)
        gross = line_amount(line.price, line.quantity)
        discount = amount or gross * percent // 100
        if not 0 <= discount <= gross or not 0 <= percent <= 100:
            raise TillError("Скидка не может быть больше суммы строки.")
        line.discount = discount

    def discount_receipt(self, *, amount: int = 0, percent: int = 0) -> None:
        self._need("can_discount")
        self._editable()
        discount = amount or self.cart.subtotal * percent // 100
        if not 0 <= discount <= self.cart.subtotal or not 0 <= percent <= 100:
            raise TillError("Скидка не может быть больше суммы чека.")
        self.cart.receipt_discount = discount

    @staticmethod
    def _fits(price: int, quantity: int) -> None:
        """A line a receipt can hold (a barcode typed into a price or a weight field cannot)."""
        try:
            line_amount(price, quantity)
        except FiscalError:
            raise TillError("Слишком большая цена или количество.") from None

    def _editable(self) -> None:
        """A return by receipt gives back the receipt's own lines at what was paid: nothing else."""
        if self.cart.original_id is not None:
            raise TillError("В возврате по чеку можно только убрать строку; чтобы изменить количество, начните возврат заново.")

    def _line(self, index: int) -> sale.CartLine:
        if not 0 <= index < len(self.cart.lines):
            raise TillError("Нет такой строки.")
        return self.cart.lines[index]

    def park(self) -> None:
        """Put the receipt aside (the buyer went for something forgotten) and start a new one."""
        if not self.cart.lines:
            raise TillError("Чек пуст.")
        self.journal.park(self.cart.id, self.cart.as_json())
        self.cart = Cart()

    def parked(self):
        return self.journal.parked()

    def resume(self, cart_id: uuid.UUID) -> None:
        if self.cart.lines:
            raise TillError("Сначала закройте или отложите текущий чек.")
        data = self.journal.unpark(cart_id)
        if data is None:
            raise TillError("Отложенный чек не найден.")
        self.cart = Cart.from_json(data)

    def cancel(self) -> None:
        self.cart = Cart()

    def check_can_pay(self) -> None:
        """Refuse now what `pay` would refuse for the register's state, before any money is taken."""
        self._need()
        if not self.cart.lines:
            raise TillError("Чек пуст.")
        status = self._drive().status()
        if status.shift_state is ShiftState.CLOSED:
            raise TillError("Смена закрыта: откройте смену.")
        if status.shift_state is ShiftState.EXPIRED:
            raise TillError("Смена открыта больше 24 часов: закройте её.")
        if status.ofd_blocked:
            raise TillError("Документы 30 дней не переданы в ОФД: касса не может продавать.")

    def allowed_payments(self) -> list[str]:
        point = self.point
        kinds = ["cash", "card"]
        kinds += [kind for kind, allowed in (("bonus", point.pay_bonus_card), ("gift", point.pay_gift_certificate),
                                             ("advance", point.pay_advance), ("credit", point.allow_credit or point.allow_partial_payment))
                  if allowed]
        return kinds

    def pay(self, tenders: list[sale.Tender], *, buyer_contact: str = "") -> Done:
        """Close the receipt: the drive signs it, the outbox takes it, a new receipt starts."""
        cashier = self._need()
        cart = self.cart
        if not cart.lines:
            raise TillError("Чек пуст.")
        allowed = self.allowed_payments()
        for tender in tenders:
            if tender.kind not in allowed:
                raise TillError("Этот способ оплаты на точке не принимается.")
        if cart.settlement is SettlementType.SALE_RETURN:
            self._need("can_return")
        self._settled()
        if cart.original_id is not None:  # what is left to return may have changed since it began (a parked return)
            original = self.journal.receipt(cart.original_id)
            left = self._returnable(original, excluding=cart.id)
            for line in cart.lines:
                if line.quantity > left.get(line.origin, (0, 0))[0]:
                    raise TillError(f"По строке {line.origin + 1} уже нечего возвращать: начните возврат заново.")
        contact = _contact(buyer_contact or cart.buyer_contact)
        point = self.point
        name, inn = self._cashier_name()
        drive = self._drive()
        document_id = uuid.uuid4()
        try:
            closed = sale.close(cart.lines, tenders, tax_system=TaxSystem(point.default_tax_system), settlement=cart.settlement,
                                receipt_discount=cart.receipt_discount, rounding=point.rounding if cart.settlement is SettlementType.SALE else 0,
                                cashier=name, cashier_inn=inn, buyer_contact=contact or None,
                                sender_email=self.journal.get("sender_email", "receipts@openkassa.invalid"))
            body = sale.document(closed, None, id=document_id, made_at=self.now(), shift=max(1, drive.status().shift),
                                 cashier_id=cashier.id, original_id=cart.original_id).model_dump(mode="json")
        except FiscalError as error:
            raise TillError(_payment_refusal(error)) from error
        except ValidationError as error:
            raise TillError(f"Чек не проходит проверку: {_first_problem(error)}") from error
        body["cart"] = cart.as_json()
        document, signed = self._fiscal("receipt", body, lambda: drive.receipt(closed.draft, request_id=str(document_id)))
        self.cart = Cart()
        return Done(document=document, receipt=signed, change=closed.change)

    # --- an online shop's documents ----------------------------------------------------------------------

    SHOP_CASHIER = "Интернет-магазин"

    def kkt_serial(self) -> str:
        registration = self._drive().status().registration
        return registration.kkt_serial if registration is not None else ""

    def shop_receipt(self, document, lines: list[sale.CartLine], tenders: list[sale.Tender]) -> tuple[fiscal.Receipt, datetime]:
        """A receipt of an online shop's document (`protocol.shopdocs.ShopDocument`, its lines and
        tenders as `register.shop` reads them), under the document's id: made once, and the one made
        before when asked again. Opens the shift when none is open, and closes one past its 24 hours
        first (with the cash the drive counts in the drawer), so no cashier is needed. Returns the
        signed receipt and when it was made."""
        with self._fiscal_lock:
            self._settled()
            made = self.journal.made(document.id)
            if made is not None:
                return fiscal.decode(made.fiscal), made.made_at
            drive = self._drive()
            self._shift_for_shop(drive)
            name = (document.cashier.get("name") or self.SHOP_CASHIER)[:64]
            inn = document.cashier.get("inn") or None
            point = self.point
            tax_system = TaxSystem(document.tax_system or point.default_tax_system)
            try:
                closed = sale.close(lines, tenders, tax_system=tax_system, settlement=SettlementType(document.settlement),
                                    cashier=name, cashier_inn=inn, buyer_contact=_contact(document.contact) or None,
                                    sender_email=self.journal.get("sender_email", "receipts@openkassa.invalid"))
                body = sale.document(closed, None, id=document.id, made_at=self.now(), shift=max(1, drive.status().shift),
                                     cashier_id=None).model_dump(mode="json")
            except FiscalError as error:
                raise TillError(f"Документ не проходит проверку: {error}") from error
            except ValidationError as error:
                raise TillError(f"Документ не проходит проверку: {_first_problem(error)}") from None
            uploaded, signed = self._fiscal_unlocked("receipt", body, lambda: drive.receipt(
                closed.draft, request_id=str(document.id)))
            return signed, uploaded.made_at

    def _shift_for_shop(self, drive: SoftwareDrive) -> None:
        state = drive.status().shift_state
        if state is ShiftState.EXPIRED:
            try:
                counted = drive.x_report().cash_in_drawer
            except FiscalError as error:
                raise TillError(_drive_refusal(error)) from error
            body = protocol.ShiftClose(id=uuid.uuid4(), made_at=self.now(), cashier_id=None, shift=drive.status().shift,
                                       counted_cash=max(counted, 0), carried_over=0, fiscal=b"").model_dump(mode="json")
            self._fiscal_unlocked("shift_close", body, lambda: drive.close_shift(cashier=self.SHOP_CASHIER))
            state = ShiftState.CLOSED
        if state is ShiftState.CLOSED:
            body = protocol.ShiftOpen(id=uuid.uuid4(), made_at=self.now(), cashier_id=None, shift=drive.status().shift + 1,
                                      cash=0, fiscal=b"").model_dump(mode="json")
            self._fiscal_unlocked("shift_open", body, lambda: drive.open_shift(cashier=self.SHOP_CASHIER))

    # --- returns and corrections -------------------------------------------------------------------------

    def find_receipt(self, text: str) -> protocol.Receipt:
        """A sale made here, by «shift/number» (or the number in the current shift), or by its QR code."""
        text = text.strip()
        found = None
        if text.startswith("t=") or "&fn=" in text:
            try:
                data = qr.parse(text)
            except (ValueError, FiscalError) as error:
                raise TillError("QR-код чека не читается.") from error
            found = self.journal.find_receipt(fiscal_number=data.document_number, fiscal_sign=data.fiscal_sign)
        else:
            shift, _slash, number = text.rpartition("/")
            if not number.isdigit() or (shift and not shift.isdigit()) or len(number) > 9 or len(shift) > 9:
                raise TillError("Введите номер чека (смена/номер) или отсканируйте QR-код.")
            current = self.drive.status().shift if self.drive else 0
            found = self.journal.find_receipt(shift=int(shift) if shift else current, number=int(number))
        if found is None:
            raise TillError("Чек не найден на этой кассе.")
        return found

    def returnable(self, original: protocol.Receipt) -> dict[int, tuple[int, int]]:
        """What is left to return of each line of a sale: line index → (quantity, sum), after the
        returns made and those parked."""
        return self._returnable(original, excluding=None)

    def _returnable(self, original: protocol.Receipt, excluding: uuid.UUID | None) -> dict[int, tuple[int, int]]:
        left = {index: (line.quantity, line.amount) for index, line in enumerate(original.lines)}
        given_back = [line for earlier in self.journal.returns_of(original.id) for line in earlier.lines]
        for parked in self.journal.parked():
            if parked.cart.get("original_id") == str(original.id) and parked.id != excluding:
                given_back += Cart.from_json(parked.cart).lines_as_returned()
        for line in given_back:
            if line.origin in left:
                quantity, amount = left[line.origin]
                left[line.origin] = (quantity - line.quantity, amount - line.amount)
        return left

    def start_return(self, original: protocol.Receipt, quantities: dict[int, int] | None = None) -> None:
        """A return of some or all lines (`quantities`: line index → thousandths; all that is left by
        default). Each line gives back what was paid for it: its share of the line's sum after its
        discounts, and exactly the rest when the last of a line comes back."""
        self._need("can_return")
        if self.cart.lines:
            raise TillError("Сначала закройте или отложите текущий чек.")
        cart = Cart(settlement=SettlementType.SALE_RETURN, original_id=original.id)
        for index, (left, amount_left) in self._returnable(original, excluding=None).items():
            line = original.lines[index]
            want = left if quantities is None else quantities.get(index, 0)
            if want > left or want < 0:
                raise TillError(f"По строке {index + 1} можно вернуть не больше {max(left, 0) / 1000:g}.")
            if want:
                amount = amount_left if want == left else line.amount * want // line.quantity
                cart.lines.append(sale.CartLine(product_id=line.product_id, name=line.name, price=line.price, quantity=want,
                                                vat=VatRate(line.vat), discount=line_amount(line.price, want) - amount,
                                                origin=index))
        if not cart.lines:
            raise TillError("Нечего возвращать.")
        self.cart = cart

    def start_return_without_receipt(self) -> None:
        self._need("can_return")
        if not self.point.allow_return_without_receipt:
            raise TillError("На этой точке возврат без чека запрещён.")
        if self.cart.lines:
            raise TillError("Сначала закройте или отложите текущий чек.")
        self.cart = Cart(settlement=SettlementType.SALE_RETURN)

    def correction(self, lines: list[sale.CartLine], tenders: list[sale.Tender], *, corrected_date: date,
                   settlement: SettlementType = SettlementType.SALE, reason: str = "",
                   order_number: str | None = None) -> Done:
        """A correction receipt for a settlement made without a receipt (on own initiative, or by the tax office's order)."""
        cashier = self._need("can_return")
        self._settled()
        name, inn = self._cashier_name()
        drive = self._drive()
        document_id = uuid.uuid4()
        try:
            closed = sale.close(lines, tenders, tax_system=TaxSystem(self.point.default_tax_system), settlement=settlement,
                                cashier=name, cashier_inn=inn)
            draft = fiscal.CorrectionReceipt(
                **{key: getattr(closed.draft, key) for key in ("settlement", "tax_system", "items", "total", "cash", "electronic",
                                                                 "advance", "credit", "other", "cashier", "cashier_inn")},
                corrected_date=corrected_date, order_number=order_number,
                correction_type=CorrectionType.BY_ORDER if order_number else CorrectionType.OWN_INITIATIVE)
            body = protocol.Correction(id=document_id, made_at=self.now(), cashier_id=cashier.id, shift=max(1, drive.status().shift),
                                       settlement=int(settlement), lines=list(closed.lines), payments=list(closed.payments),
                                       total=closed.total, reason=reason[:256], fiscal=b"").model_dump(mode="json")
        except FiscalError as error:
            raise TillError(_payment_refusal(error)) from error
        except ValidationError as error:
            raise TillError(f"Коррекция не проходит проверку: {_first_problem(error)}") from error
        document, signed = self._fiscal("correction", body, lambda: drive.correction(draft, request_id=str(document_id)))
        return Done(document=document, receipt=signed, change=closed.change)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _contact(text: str) -> str:
    """The buyer's phone (+7 and ten digits) or e-mail for an electronic receipt (1008); '' for none."""
    text = text.strip()
    if not text or (_EMAIL.match(text) and len(text) <= 64):
        return text
    digits = re.sub(r"[\s()+-]", "", text)
    if digits.isdigit() and (len(digits) == 10 or (len(digits) == 11 and digits[0] in "78")):
        return "+7" + digits[-10:]
    raise TillError("Укажите телефон (+7…) или e-mail покупателя.")


def _payment_refusal(error: FiscalError) -> str:
    """Why the receipt's sums do not add up, for the cashier."""
    tag = getattr(error, "tag", None)
    if tag == 1020:
        return "Оплаты меньше суммы чека."
    if tag in (1081, 1215, 1216, 1217):
        return "Безналичные оплаты больше суммы чека: сдачу дают только с наличных."
    if tag == 1043:
        return "Скидка больше суммы строки."
    return _drive_refusal(error)


@contextmanager
def _checked() -> Iterator[None]:
    """What the protocol refuses (a sum beyond any drawer: a barcode typed into a money field), for the cashier."""
    try:
        yield
    except ValidationError as error:
        raise TillError(f"Сумма или данные вне допустимого: {_first_problem(error)}") from error


def _first_problem(error: ValidationError) -> str:
    first = error.errors()[0]
    return f"{'.'.join(str(part) for part in first['loc'])}: {first['msg']}"


_FORM_OF = {"shift_open": FormCode.SHIFT_OPEN, "shift_close": FormCode.SHIFT_CLOSE}


def _drive_refusal(error: FiscalError) -> str:
    """The drive's refusal in the cashier's words."""
    messages = {
        "ShiftClosed": "Смена закрыта: откройте смену.",
        "ShiftAlreadyOpen": "Смена уже открыта.",
        "ShiftExpired": "Смена открыта больше 24 часов: закройте её.",
        "OfdWaitExceeded": "Документы 30 дней не переданы в ОФД: касса не может продавать.",
        "NotEnoughCash": "В ящике не хватает наличных.",
        "DriveClosed": "Фискальный накопитель закрыт.",
        "NotRegistered": "Касса не зарегистрирована.",
        "TimeWentBackwards": "Часы кассы ушли назад: проверьте время.",
    }
    return messages.get(type(error).__name__, f"Касса отказала: {error}")
