"""Rules of the 1C exchange: merging CommerceML files into a catalog, the exchange logins, the files of an exchange.

Merging: a product of the file is found by its 1C Ид (`products.external_id`), else by a barcode
of a product that has no Ид yet (it then takes the Ид), else it is new. 1C is the master of what it
sends: the name, the article, the code, the barcodes (when it sends any), the unit, the VAT, the
group (found or made by its path of names) and the price of the chosen price type replace the
card's; what 1C does not send stays as it is. A product marked deleted in 1C is archived (its sales
keep their history). Everything goes through the catalog's own rules (`ProductIn`, `save_cards`) in
the caller's transaction: a file with any problem changes nothing, and the problems name the product.
"""

from __future__ import annotations

import io
import shutil
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from openkassa import ratelimit
from openkassa.accounts.plans import Feature
from openkassa.accounts.roles import Permission
from openkassa.accounts.service import Actor, lock_account, owner_actor, require, require_feature
from openkassa.catalog import service as catalog_service
from openkassa.catalog.schemas import WEIGHT_UNITS, GroupIn, ProductIn
from openkassa.catalog.service import MAX_GROUP_DEPTH, CardWrite
from openkassa.db import utcnow
from openkassa.errors import Invalid, NotFound, Unauthorized
from openkassa.i18n import _
from openkassa.ids import new_secret, secret_hash
from openkassa.money import MAX_KOPECKS
from openkassa.onec import commerceml
from openkassa.onec.commerceml import CatalogFile, CommerceMLError, OffersFile, Package
from openkassa.onec.models import OnecExchange, OnecExchangeRun
from openkassa.passwords import hash_password, verify_password

FILE_LIMIT = 16 * 1024 * 1024  # bytes of one `file` call: 1C cuts bigger files in chunks of this size, each read whole
FOLDER_LIMIT = 500 * 1024 * 1024  # bytes an exchange may store at once, unzipped
COOKIE = "openkassa_1c"
CHECKAUTH_FAILURES = 20  # wrong exchange passwords from one network …
CHECKAUTH_WINDOW = timedelta(minutes=15)  # … in this long
PROBLEMS_SHOWN = 50
RUNS_KEPT = 20  # import calls of an exchange kept for its page
_LIMITS = {"name": 128, "article": 64, "code": 64}


@dataclass
class Outcome:
    """What a merge did: counts, and the products or offers skipped with the reason."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    price_type: str = ""

    def summary(self) -> str:
        text = _("Products added: {created}, changed: {updated}, unchanged: {unchanged}, skipped: {skipped}.").format(
            created=self.created, updated=self.updated, unchanged=self.unchanged, skipped=len(self.skipped))
        if self.price_type:
            text += " " + _("Prices of the type «{name}».").format(name=self.price_type)
        return text


# --- reading files -----------------------------------------------------------------------------------


def read_files(files: list[tuple[str, io.BufferedIOBase]]) -> tuple[CatalogFile | None, OffersFile | None]:
    """Read uploaded files (CommerceML .xml, or .zip archives of them) into one catalog and one offers part.

    Refuses with Invalid naming the file and the element or product when a file cannot be used."""
    catalog: CatalogFile | None = None
    offers: OffersFile | None = None
    problems: dict[str, str] = {}
    for name, stream in _unzipped(files, problems):
        try:
            package = commerceml.read(stream, name)
        except CommerceMLError as error:
            for problem in error.problems[:PROBLEMS_SHOWN]:
                problems[f"{name}: {problem.where}"] = problem.message
            continue
        catalog, offers = _joined(catalog, offers, package)
    if problems:
        raise Invalid(_("The files cannot be imported; nothing has changed."), fields=problems)
    if catalog is None and offers is None:
        raise Invalid(fields={"file": _("Choose import.xml, offers.xml or a .zip of them.")})
    return catalog, offers


def _joined(catalog: CatalogFile | None, offers: OffersFile | None, package: Package):
    if package.catalog is not None:
        catalog = catalog or CatalogFile()
        catalog.groups += package.catalog.groups
        catalog.items += package.catalog.items
    if package.offers is not None:
        offers = offers or OffersFile()
        offers.price_types += [kind for kind in package.offers.price_types if kind not in offers.price_types]
        offers.offers += package.offers.offers
    return catalog, offers


def _unzipped(files: list[tuple[str, io.BufferedIOBase]], problems: dict[str, str]):
    """Each XML file, the members of .zip files among them (pictures and folders skipped)."""
    for name, stream in files:
        head = stream.read(4)
        stream.seek(0)
        if head != b"PK\x03\x04":
            yield name, stream
            continue
        try:
            archive = zipfile.ZipFile(stream)
            members = [member for member in archive.infolist()
                       if not member.is_dir() and member.filename.lower().endswith(".xml")]
            if sum(member.file_size for member in members) > FOLDER_LIMIT:
                problems[name] = _("The archive unpacks to more than {limit} MB.").format(limit=FOLDER_LIMIT // 1024 // 1024)
                continue
            if not members:
                problems[name] = _("The archive holds no .xml file.")
            for member in sorted(members, key=lambda member: member.filename):  # import… before offers…
                with archive.open(member) as inner:
                    yield f"{name}/{member.filename}", inner
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError) as error:
            problems[name] = _("The archive cannot be read ({reason}).").format(reason=error)


# --- merging -----------------------------------------------------------------------------------------


def merge(session: Session, actor: Actor, catalog_id: uuid.UUID, *, catalog: CatalogFile | None,
          offers: OffersFile | None, price_type: str = "") -> Outcome:
    """Merge a catalog part (import.xml) and/or an offers part (offers.xml) into the catalog, all or nothing:
    in a savepoint, so a refused file leaves not even the groups it made, and the caller may still
    record the refusal in its transaction."""
    with session.begin_nested():
        return _merge(session, actor, catalog_id, catalog=catalog, offers=offers, price_type=price_type)


def _merge(session: Session, actor: Actor, catalog_id: uuid.UUID, *, catalog: CatalogFile | None,
           offers: OffersFile | None, price_type: str) -> Outcome:
    require(actor, Permission.MANAGE)
    require_feature(actor, Feature.ONE_C)
    catalog_service.get_catalog(session, actor, catalog_id)
    lock_account(session, actor.account_id)  # one catalog change at a time: the matching stays true
    outcome, problems = Outcome(), {}
    items = catalog.items if catalog else []
    prices, offer_barcodes = _prices(offers, price_type, outcome, problems)
    seen: set[str] = set()
    for item in items:
        if item.external_id in seen:
            problems[_where(item.name, item.external_id)] = _("This Ид is given twice in the file.")
        seen.add(item.external_id)
    groups = _groups(session, actor, catalog_id, catalog, items) if catalog and not problems else {}
    wanted = [item.external_id for item in items] + [offer for offer in prices if offer not in seen]
    known = catalog_service.cards_by_external_ids(session, actor, catalog_id, wanted)
    unknown_codes = [code for item in items if item.external_id not in known for code in item.barcodes]
    by_barcode = catalog_service.cards_by_barcodes(session, actor, catalog_id, unknown_codes)
    writes: list[CardWrite] = []
    names: list[str] = []
    taken: set[uuid.UUID] = set()
    for item in items:
        card = known.get(item.external_id)
        if card is None:
            card = next((by_barcode[code] for code in item.barcodes if code in by_barcode
                         and by_barcode[code].product.external_id is None and by_barcode[code].product.id not in taken), None)
        if card is None and item.deleted:
            outcome.skipped.append((_where(item.name, item.external_id), _("Marked for deletion in 1C; not in the catalog.")))
            continue
        values = _card_values(card)
        values.update({key: getattr(item, key)[:limit] for key, limit in _LIMITS.items() if getattr(item, key) is not None})
        values["archived"] = item.deleted
        if item.unit is not None:
            values["unit"] = item.unit
            values["by_weight"] = values["by_weight"] and item.unit in WEIGHT_UNITS
        if item.vat is not None:
            values["vat"] = item.vat
        if item.group_id in groups:
            values["group_id"] = groups[item.group_id]
        codes = item.barcodes + [code for code in offer_barcodes.get(item.external_id, []) if code not in item.barcodes]
        if codes:
            values["barcodes"] = codes
        if item.external_id in prices:
            values["price"] = prices[item.external_id]
        if card is not None:
            taken.add(card.product.id)
        _add(writes, names, problems, outcome, card, values, item.external_id, item.name)
    offer_names = {offer.external_id: offer.name for offer in offers.offers} if offers else {}
    for external_id, price in prices.items():
        if external_id in seen:
            continue
        card = known.get(external_id)
        if card is None:
            outcome.skipped.append((_where(offer_names.get(external_id, ""), external_id),
                                    _("No product with this Ид in the catalog or in import.xml.")))
            continue
        values = {**_card_values(card), "price": price}
        codes = [code for code in offer_barcodes.get(external_id, []) if code not in values["barcodes"]]
        values["barcodes"] = values["barcodes"] + codes
        _add(writes, names, problems, outcome, card, values, external_id, card.product.name)
    if problems:
        raise Invalid(_("The files cannot be imported; nothing has changed."), fields=dict(list(problems.items())[:PROBLEMS_SHOWN]))
    try:
        catalog_service.save_cards(session, actor, catalog_id, writes)
    except Invalid as error:
        raise Invalid(_("The files cannot be imported; nothing has changed."), fields={
            names[int(key.partition(".")[0])]: message for key, message in (error.fields or {}).items()}) from None
    return outcome


def _where(name: str, external_id: str) -> str:
    return _("«{name}» (Ид {id})").format(name=name, id=external_id) if name else _("Ид {id}").format(id=external_id)


def _card_values(card: catalog_service.ProductCard | None) -> dict:
    if card is None:
        return {name: info.default for name, info in ProductIn.model_fields.items()} | {"name": "", "barcodes": []}
    return {**{name: getattr(card.product, name) for name in ProductIn.model_fields if name != "barcodes"},
            "barcodes": list(card.barcodes)}


def _add(writes: list[CardWrite], names: list[str], problems: dict[str, str], outcome: Outcome,
         card: catalog_service.ProductCard | None, values: dict, external_id: str, name: str) -> None:
    """Check the merged card by the catalog's rules; count it unchanged, or queue it to be written."""
    where = _where(name, external_id)
    try:
        checked = ProductIn.model_validate(values)
    except ValidationError as error:
        problems[where] = "; ".join(str(problem["msg"]).removeprefix("Value error, ") for problem in error.errors())
        return
    if card is not None and card.product.external_id == external_id and _card_values(card) == _card_values_of(checked):
        outcome.unchanged += 1
        return
    writes.append(CardWrite(card.product.id if card else None, checked, external_id))
    names.append(where)
    if card is None:
        outcome.created += 1
    else:
        outcome.updated += 1


def _card_values_of(card: ProductIn) -> dict:
    return {name: int(value) if isinstance(value, int) and not isinstance(value, bool) else value
            for name, value in card.model_dump().items()}


def _prices(offers: OffersFile | None, price_type: str, outcome: Outcome,
            problems: dict[str, str]) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Each offer's price of the chosen type in kopecks, and the barcodes offers carry, by Ид."""
    if offers is None:
        return {}, {}
    barcodes = {offer.external_id: offer.barcodes for offer in offers.offers if offer.barcodes}
    chosen = commerceml.chosen_price_type(offers.price_types, price_type)
    if chosen is None:  # a file of stock balances alone (rests.xml) declares no price types: nothing to say
        if offers.price_types:
            problems["ТипыЦен"] = _("There is no price type «{wanted}» in offers.xml; it has: {names}.").format(
                wanted=price_type, names=", ".join(kind.name for kind in offers.price_types) or "—")
        return {}, barcodes
    outcome.price_type = chosen.name
    prices: dict[str, int] = {}
    for offer in offers.offers:
        if chosen.external_id not in offer.prices:
            continue
        kopecks = int((offer.prices[chosen.external_id] * 100).quantize(Decimal(1), ROUND_HALF_UP))
        if kopecks > MAX_KOPECKS:
            problems[_where(offer.name, offer.external_id)] = _("The price is too large.")
            continue
        prices[offer.external_id] = kopecks
    return prices, barcodes


def _groups(session: Session, actor: Actor, catalog_id: uuid.UUID, catalog: CatalogFile, items) -> dict[str, uuid.UUID]:
    """Our group of each 1C group the products use, found by its path of names (case aside), or made."""
    by_id = {group.external_id: group for group in catalog.groups}
    ours: dict[tuple[str, ...], uuid.UUID] = {}

    def walk(nodes, path):
        for node in nodes:
            ours[(*path, node.name.lower())] = node.id
            walk(node.children, (*path, node.name.lower()))

    walk(catalog_service.list_groups(session, actor, catalog_id), ())
    found: dict[str, uuid.UUID] = {}
    for external_id in dict.fromkeys(item.group_id for item in items if item.group_id in by_id):
        chain, current, guard = [], by_id.get(external_id), 0
        while current is not None and guard < 100:
            chain.insert(0, current.name.replace("/", "∕")[:128])
            current, guard = by_id.get(current.parent_id) if current.parent_id else None, guard + 1
        parent, path = None, ()
        for name in chain[:MAX_GROUP_DEPTH]:
            path = (*path, name.lower())
            if path not in ours:
                ours[path] = catalog_service.create_group(session, actor, catalog_id, GroupIn(name=name, parent_id=parent)).id
            parent = ours[path]
        found[external_id] = parent
    return found


# --- exchange logins ---------------------------------------------------------------------------------


def get_exchange(session: Session, actor: Actor, catalog_id: uuid.UUID) -> OnecExchange | None:
    """The catalog's exchange login, if it was switched on."""
    require(actor, Permission.VIEW)
    catalog_service.get_catalog(session, actor, catalog_id)
    return session.scalar(select(OnecExchange).where(OnecExchange.catalog_id == catalog_id))


def switch_on(session: Session, actor: Actor, catalog_id: uuid.UUID) -> tuple[OnecExchange, str]:
    """Make the catalog's exchange login, or give it a new password; answers it with the password (shown once)."""
    require(actor, Permission.MANAGE)
    require_feature(actor, Feature.ONE_C)
    exchange = get_exchange(session, actor, catalog_id)
    password = new_secret()[:24]
    if exchange is None:
        exchange = OnecExchange(account_id=actor.account_id, catalog_id=catalog_id, login=f"1c-{new_secret()[:10].lower()}",
                                password_hash="")
        session.add(exchange)
    exchange.password_hash, exchange.session_hash = hash_password(password), ""
    session.flush()
    return exchange, password


def switch_off(session: Session, actor: Actor, catalog_id: uuid.UUID) -> None:
    require(actor, Permission.MANAGE)
    exchange = get_exchange(session, actor, catalog_id)
    if exchange is None:
        raise NotFound()
    session.delete(exchange)


def set_price_type(session: Session, actor: Actor, catalog_id: uuid.UUID, price_type: str) -> OnecExchange:
    require(actor, Permission.MANAGE)
    exchange = get_exchange(session, actor, catalog_id)
    if exchange is None:
        raise NotFound()
    price_type = " ".join(price_type.split())
    if len(price_type) > 128:
        raise Invalid(fields={"price_type": _("At most 128 characters.")})
    exchange.price_type = price_type
    return exchange


# --- the exchange protocol ---------------------------------------------------------------------------


def _exchange_account(session: Session, login: str, password: str) -> tuple[uuid.UUID, uuid.UUID]:
    """The account and the catalog an exchange login fills, or Unauthorized. (Service logins of the
    account will answer here later; for now each catalog has its own exchange login.)"""
    exchange = session.scalar(select(OnecExchange).where(OnecExchange.login == login.strip()))
    if not verify_password(exchange.password_hash if exchange else "", password):
        raise Unauthorized(_("Wrong 1C exchange login or password."))
    return exchange.account_id, exchange.catalog_id


def authenticate(session: Session, login: str, password: str, *, ip: str) -> OnecExchange:
    """The exchange of a login and password, or Unauthorized. Wrong passwords are counted per network
    (each costs an argon2 check); a right one takes its attempt back."""
    guess = ratelimit.attempt(session, f"1c-ip:{ratelimit.network(ip)}", limit=CHECKAUTH_FAILURES, window=CHECKAUTH_WINDOW)
    _account_id, catalog_id = _exchange_account(session, login, password)
    ratelimit.forgive(session, guess)
    return session.scalars(select(OnecExchange).where(OnecExchange.catalog_id == catalog_id)).one()


def check_auth(session: Session, login: str, password: str, *, ip: str) -> tuple[OnecExchange, str]:
    """`mode=checkauth`: check the login and start a new exchange; answer the cookie's value."""
    exchange = authenticate(session, login, password, ip=ip)
    cookie = new_secret()
    exchange.session_hash = secret_hash(cookie)
    return exchange, cookie


def by_cookie(session: Session, cookie: str) -> OnecExchange:
    """The exchange whose `checkauth` gave this cookie, or Unauthorized."""
    if cookie:
        exchange = session.scalar(select(OnecExchange).where(OnecExchange.session_hash == secret_hash(cookie)))
        if exchange is not None:
            return exchange
    raise Unauthorized(_("The exchange session is unknown: 1C should call checkauth first."))


def exchange_actor(session: Session, exchange: OnecExchange) -> Actor:
    """1C acts in the name of the account's owner; the plan is checked at each exchange."""
    actor = owner_actor(session, account_id=exchange.account_id)
    require_feature(actor, Feature.ONE_C)
    return actor


def folder(data_dir: Path, exchange: OnecExchange) -> Path:
    return data_dir / "onec" / str(exchange.id)


def empty_folder(data_dir: Path, exchange: OnecExchange) -> None:
    shutil.rmtree(folder(data_dir, exchange), ignore_errors=True)


def safe_name(filename: str) -> str:
    """The file's own name (1C sends `import_files/…/x.jpg` too): no folders, nothing outside the exchange's folder."""
    name = filename.replace("\\", "/").rpartition("/")[2].strip()
    if not name or name in (".", "..") or len(name) > 200:
        raise Invalid(fields={"filename": _("A file name is needed.")})
    return name


def receive_chunk(data_dir: Path, exchange: OnecExchange, filename: str, chunk: bytes) -> bool:
    """`mode=file`: append a chunk to the exchange's file; pictures are not kept. Answers whether it was kept."""
    name = safe_name(filename)
    if not name.lower().endswith((".xml", ".zip")):
        return False  # pictures and other attachments: the catalog has no use for them
    target = folder(data_dir, exchange)
    target.mkdir(parents=True, exist_ok=True)
    stored = sum(path.stat().st_size for path in target.iterdir())
    if stored + len(chunk) > FOLDER_LIMIT:
        raise Invalid(fields={"file": _("The exchange's files pass {limit} MB.").format(limit=FOLDER_LIMIT // 1024 // 1024)})
    with (target / name).open("ab") as file:
        file.write(chunk)
    return True


def import_file(session: Session, data_dir: Path, exchange: OnecExchange, filename: str) -> Outcome | None:
    """`mode=import`: merge the exchange's files. The call for import.xml takes offers.xml with it when
    1C sent it already, so new products get their prices in the same transaction; the call for a
    file merged so already answers None (nothing left to do)."""
    actor = exchange_actor(session, exchange)
    target = folder(data_dir, exchange)
    name = safe_name(filename)
    for archive in sorted(target.glob("*.zip")) if target.exists() else []:
        _extract(archive, target)
    path = target / name
    done = target / f"{name}.done"
    if done.exists():
        return None
    if not path.exists():
        raise Invalid(fields={"filename": _("The file {name} was not received.").format(name=name)})
    partners = [path]
    if name.lower().startswith("import"):
        offers_path = target / ("offers" + name[len("import"):])
        if offers_path.exists():
            partners.append(offers_path)
    streams = [(path.name, path.open("rb")) for path in partners]
    try:
        catalog, offers = read_files(streams)
    finally:
        for _name, stream in streams:
            stream.close()
    outcome = merge(session, actor, exchange.catalog_id, catalog=catalog, offers=offers, price_type=exchange.price_type)
    for path in partners:
        (target / f"{path.name}.done").touch()
    return outcome


def _extract(archive: Path, target: Path) -> None:
    """Unpack the .xml files of an archive 1C sent (zip=yes) beside it, and drop it."""
    try:
        with zipfile.ZipFile(archive) as opened:
            members = [member for member in opened.infolist() if member.filename.lower().endswith(".xml") and not member.is_dir()]
            if sum(member.file_size for member in members) > FOLDER_LIMIT:
                raise Invalid(fields={"file": _("The archive unpacks to more than {limit} MB.").format(limit=FOLDER_LIMIT // 1024 // 1024)})
            for member in members:
                with opened.open(member) as source, (target / safe_name(member.filename)).open("wb") as out:
                    shutil.copyfileobj(source, out)
    except zipfile.BadZipFile:
        raise Invalid(fields={"file": _("The archive {name} cannot be read.").format(name=archive.name)}) from None
    archive.unlink()


def record(session: Session, exchange: OnecExchange, filename: str, result: str, *, succeeded: bool) -> None:
    """Keep what an `import` call did, for the page «Обмен с 1С»; the oldest beyond RUNS_KEPT go."""
    exchange.last_exchange_at = utcnow()
    session.add(OnecExchangeRun(exchange_id=exchange.id, at=exchange.last_exchange_at, filename=filename[:200],
                                succeeded=succeeded, result=result[:2000]))
    session.flush()
    kept = select(OnecExchangeRun.id).where(OnecExchangeRun.exchange_id == exchange.id).order_by(
        OnecExchangeRun.at.desc(), OnecExchangeRun.id.desc()).limit(RUNS_KEPT)
    session.execute(delete(OnecExchangeRun).where(OnecExchangeRun.exchange_id == exchange.id,
                                                  OnecExchangeRun.id.not_in(kept)))


def runs(session: Session, actor: Actor, exchange: OnecExchange) -> list[OnecExchangeRun]:
    """The exchange's last `import` calls, newest first."""
    require(actor, Permission.VIEW)
    if exchange.account_id != actor.account_id:
        raise NotFound()
    return list(session.scalars(select(OnecExchangeRun).where(OnecExchangeRun.exchange_id == exchange.id)
                                .order_by(OnecExchangeRun.at.desc(), OnecExchangeRun.id.desc()).limit(RUNS_KEPT)))
