"""The register's local catalog: the point's products, groups, settings, cashiers and hot keys in one
SQLite file (`catalog.db` in the register's data folder), filled from the server's changes stream
(`protocol.changes`) and read by the cashier's screens.

It is a cache: everything in it can be downloaded again, so it is written with `synchronous=NORMAL`
(a power cut may lose the last stream applied, never break the file) and a file of an older layout
is simply deleted and filled again. The cashier's own work is kept elsewhere.

How a stream is applied (`LocalCatalog.apply`):

- one stream is one transaction: a stream cut before its `end`, or whose `end` counts other lines than
  came, is rolled back whole (`CutStream`), and the register asks again from the same revision;
- a stream from 0 (the first sync, or a server restored from a backup, whose `begin` says `since: 0`)
  replaces everything. It loads the products into bare tables and builds the indexes and the search
  index once at the end: sorting a million keys once is several times faster than inserting them one
  by one;
- a point that sells from another catalog now (its `point` line names another `catalog_id`) sets the
  stream aside and takes the catalog back to revision 0: the next stream, asked from 0, replaces the
  whole catalog at once. Until then the cashier keeps selling from the old one;
- the cashier's screens read on a connection of their own (WAL): while a stream applies they see the
  catalog as it was, and never wait for it.

Lookups: `by_barcode` (a primary-key search), `search` (as the cashier types: each word the start of
a word of the name, any case, ё as е; an exact internal code, article or barcode first), `product`,
`hot_keys`, `cashiers`, `cashier_by_pin`, `point`, `groups`. Archived products stay in the catalog
(`product(id)` still answers, for an old receipt) but are not sold: no barcode, search or hot key
finds them.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from openkassa.protocol.changes import (
    Begin, CashierLine, DeletedLine, End, GroupLine, HotKeysLine, Line, PointLine, ProductLine,
)

LAYOUT = 1  # the file's layout (`PRAGMA user_version`); a file of another is deleted and downloaded again
BATCH = 5_000  # lines of one kind written by one executemany
SORTED_UP_TO = 1_000  # the most matches of a search sorted by name (see `LocalCatalog.search`)
CACHE_KIB = 64 * 1024  # the writer's page cache: building the indexes of a million products sorts in memory

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS state (one INTEGER PRIMARY KEY CHECK (one = 1), revision INTEGER NOT NULL,"
    " catalog_id BLOB, point TEXT)",
    "INSERT OR IGNORE INTO state (one, revision) VALUES (1, 0)",
    "CREATE TABLE IF NOT EXISTS cashiers (id BLOB PRIMARY KEY, name TEXT NOT NULL, line TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS hot_keys (position INTEGER PRIMARY KEY, product_id BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS groups (id BLOB PRIMARY KEY, parent_id BLOB, name TEXT NOT NULL) WITHOUT ROWID",
)
# The products' tables, dropped and made again by a stream from 0. `key` is the search index's rowid:
# a UUID cannot be one.
_PRODUCT_TABLES = (
    "CREATE TABLE IF NOT EXISTS products (key INTEGER PRIMARY KEY, id BLOB NOT NULL, group_id BLOB,"
    " name TEXT NOT NULL, short_name TEXT NOT NULL, article TEXT NOT NULL, code TEXT NOT NULL,"
    " price INTEGER NOT NULL, min_price INTEGER NOT NULL, cost_price INTEGER NOT NULL, vat INTEGER NOT NULL,"
    " unit INTEGER NOT NULL, kind INTEGER NOT NULL, by_weight INTEGER NOT NULL, free_price INTEGER NOT NULL,"
    " archived INTEGER NOT NULL, from_register INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS barcodes (code TEXT NOT NULL, product_key INTEGER NOT NULL)",
    # The words of the names of products on sale. Contentless: the names are in `products` already.
    # unicode61 folds the case of Cyrillic letters (not ё to е: names and queries are folded by
    # `_WORDS_OF` and `_words`); the prefix indexes answer the first two or three letters typed from
    # one term's list instead of merging the lists of every word that starts so.
    "CREATE VIRTUAL TABLE IF NOT EXISTS product_words USING fts5(name, content='', prefix='2 3',"
    " tokenize='unicode61 remove_diacritics 2')",
)
_PRODUCT_INDEXES = (
    "CREATE UNIQUE INDEX IF NOT EXISTS products_id ON products (id)",
    "CREATE INDEX IF NOT EXISTS products_code ON products (code)",
    "CREATE INDEX IF NOT EXISTS products_article ON products (article)",
    "CREATE UNIQUE INDEX IF NOT EXISTS barcodes_code ON barcodes (code)",
    "CREATE INDEX IF NOT EXISTS barcodes_product ON barcodes (product_key)",
)
# What the search index holds of a product; a contentless index forgets a row only when told the very
# words it was given, so every statement that adds or removes words uses this one expression.
_WORDS_OF = "replace(replace(name, 'ё', 'е'), 'Ё', 'Е')"
_FIELDS = ("id", "group_id", "name", "short_name", "article", "code", "price", "min_price", "cost_price", "vat",
           "unit", "kind", "by_weight", "free_price", "archived", "from_register")
_COLUMNS = ", ".join(f"products.{field}" for field in _FIELDS)
_WORD = re.compile(r"[^\W_]+")  # what unicode61 takes for a word: letters and digits

_hasher = PasswordHasher()  # verifies hashes of any cost: the parameters are written in the hash


class CatalogError(Exception):
    """A stream the catalog did not apply; nothing of it was written."""


class CutStream(CatalogError):
    """The stream ended before its `end`, or its `end` does not match what came: ask again from the same revision."""


class OutOfOrder(CatalogError):
    """The stream starts from another revision than the catalog's: it would skip or repeat changes."""


@dataclass(frozen=True, slots=True)
class Product:
    """A product as the register sells it: money in kopecks; VAT, unit and kind as ФФД codes (1199, 2108, 1212).

    Not `protocol.ProductLine`: a sale needs neither the line's revision nor its barcodes, and a plain
    dataclass is built for each row found at a fraction of a model's cost."""

    id: uuid.UUID
    group_id: uuid.UUID | None
    name: str
    short_name: str
    article: str
    code: str
    price: int
    min_price: int
    cost_price: int
    vat: int
    unit: int
    kind: int
    by_weight: bool
    free_price: bool
    archived: bool
    from_register: bool


@dataclass(frozen=True, slots=True)
class Group:
    """A product group, for browsing the catalog by its tree."""

    id: uuid.UUID
    parent_id: uuid.UUID | None
    name: str


class _CatalogSwitched(Exception):
    """Raised inside `apply` to roll the stream back when the point's catalog is another one."""


class LocalCatalog:
    """The point's catalog on the register. Open it with `LocalCatalog.open(path)`; close it, or use it in `with`.

    Any thread may read; streams are applied one at a time, each on the writer's connection while the
    readers' connection goes on answering from the last stream committed.
    """

    def __init__(self, reader: sqlite3.Connection, writer: sqlite3.Connection):
        self._reader, self._writer = reader, writer
        self._reading, self._writing = threading.Lock(), threading.Lock()

    @classmethod
    def open(cls, path: str | Path) -> LocalCatalog:
        """Open the catalog file, making it (and its folder) when there is none."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = _connect(path)
        if writer.execute("PRAGMA user_version").fetchone()[0] not in (0, LAYOUT):
            writer.close()
            for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                stale.unlink(missing_ok=True)
            writer = _connect(path)
        writer.execute("PRAGMA journal_mode = WAL")
        writer.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        writer.execute("BEGIN IMMEDIATE")
        for statement in (*_SCHEMA, *_PRODUCT_TABLES, *_PRODUCT_INDEXES, f"PRAGMA user_version = {LAYOUT}"):
            writer.execute(statement)
        writer.execute("COMMIT")
        reader = _connect(path)
        reader.execute("PRAGMA query_only = ON")
        return cls(reader, writer)

    def close(self) -> None:
        with self._writing, self._reading:
            self._writer.close()
            self._reader.close()

    def __enter__(self) -> LocalCatalog:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- applying streams -----------------------------------------------------------------------------

    def apply(self, lines: Iterable[Line]) -> bool:
        """Apply one whole changes stream, `begin` to `end`, in one transaction; keep its revision.

        Returns False when the point sells from another catalog now: then nothing of the stream was
        applied and the revision went back to 0, so the next stream, asked from 0, replaces the whole
        catalog (the old one answers until it does). Raises `CutStream` for a stream that ends before
        its `end` or does not match it, `OutOfOrder` for one that starts from another revision than
        the catalog's; whatever the lines raise (a broken connection) passes through; in all these
        cases nothing was written.

        The first line is read before the transaction starts: a stream asked with a wait (a long poll)
        holds no lock while the server waits for a change.
        """
        lines = iter(lines)
        begin = next(lines, None)
        if not isinstance(begin, Begin):
            raise CutStream("the stream does not start with its `begin`")
        with self._writing:
            writer = self._writer
            writer.execute("BEGIN IMMEDIATE")
            try:
                _Stream(writer, begin).apply(lines)
            except _CatalogSwitched:
                writer.execute("ROLLBACK")
                writer.execute("UPDATE state SET revision = 0")
                return False
            except BaseException:
                writer.execute("ROLLBACK")
                raise
            writer.execute("COMMIT")
        return True

    def forget(self) -> None:
        """Ask for everything next time: the next stream comes from 0 and replaces the whole catalog.

        For a register bound anew (revisions count per account: another's would mean nothing here).
        The catalog answers as it was until that stream is applied."""
        with self._writing:
            self._writer.execute("UPDATE state SET revision = 0")

    # --- reading ----------------------------------------------------------------------------------------

    @property
    def revision(self) -> int:
        """The revision of the last stream applied: the next stream is asked from it (0: everything)."""
        return self._rows("SELECT revision FROM state")[0][0]

    @property
    def catalog_id(self) -> uuid.UUID | None:
        """The server's catalog this one mirrors (None before a first sync)."""
        (catalog_id,), = self._rows("SELECT catalog_id FROM state")
        return uuid.UUID(bytes=catalog_id) if catalog_id else None

    def point(self) -> PointLine | None:
        """The point's settings (None before a first sync)."""
        (point,), = self._rows("SELECT point FROM state")
        return PointLine.model_validate_json(point) if point else None

    def by_barcode(self, code: str) -> Product | None:
        """The product on sale that has this barcode, or None."""
        rows = self._rows(f"SELECT {_COLUMNS} FROM barcodes JOIN products ON products.key = barcodes.product_key"
                          " WHERE barcodes.code = ? AND NOT products.archived", (code.strip(),))
        return _product(rows[0]) if rows else None

    def product(self, product_id: uuid.UUID) -> Product | None:
        """A product by its id, archived or not (a receipt may name one no longer sold)."""
        rows = self._rows(f"SELECT {_COLUMNS} FROM products WHERE id = ?", (product_id.bytes,))
        return _product(rows[0]) if rows else None

    def search(self, text: str, limit: int = 20) -> list[Product]:
        """Products on sale for what the cashier has typed so far, up to `limit`.

        First the products whose internal code, article or barcode is exactly the text; then those
        whose name has, for each word typed, a word that starts with it (any order, any case, ё = е),
        by name. Sorting needs every match, so only up to `SORTED_UP_TO` matches are sorted: of more,
        the first `limit` in the search index's order are shown (by name) at once, and the cashier
        types on. A single letter typed into a million products takes ~20 ms; two letters ~1 ms.
        """
        text = text.strip()
        if not text or limit <= 0:
            return []
        words = _words(text)
        with self._snapshot() as reader:  # an apply committing between the queries would move the keys
            found = {product.id: product for product in map(_product, reader.execute(
                f"SELECT {_COLUMNS} FROM products WHERE (code = ?1 OR article = ?1"
                " OR key IN (SELECT product_key FROM barcodes WHERE code = ?1)) AND NOT archived"
                " ORDER BY name LIMIT ?2", (text, limit)))}
            if not words or len(found) >= limit:
                return list(found.values())
            matches = [key for key, in reader.execute("SELECT rowid FROM product_words WHERE product_words MATCH ? LIMIT ?",
                                                      (" ".join(f'"{word}"*' for word in words), SORTED_UP_TO + 1))]
            if len(matches) <= SORTED_UP_TO:
                matches = [key for key, name in sorted(reader.execute(
                    "SELECT key, name FROM products WHERE key IN (SELECT value FROM json_each(?))", (json.dumps(matches),)),
                    key=lambda row: _alphabetical(row[1]))]
            rows = {row[-1]: row for row in reader.execute(
                f"SELECT {_COLUMNS}, key FROM products WHERE key IN (SELECT value FROM json_each(?))",
                (json.dumps(matches[:limit]),))}
        for product in sorted((_product(rows[key]) for key in matches[:limit]), key=lambda product: _alphabetical(product.name)):
            found.setdefault(product.id, product)
        return list(found.values())[:limit]

    def hot_keys(self) -> list[tuple[int, Product]]:
        """The hot-key grid's cells (0-based positions, row by row) with their products on sale."""
        return [(row[0], _product(row[1:])) for row in self._rows(
            f"SELECT hot_keys.position, {_COLUMNS} FROM hot_keys JOIN products ON products.id = hot_keys.product_id"
            " WHERE NOT products.archived ORDER BY hot_keys.position")]

    def groups(self) -> list[Group]:
        """Every product group, by name."""
        return [Group(uuid.UUID(bytes=group_id), uuid.UUID(bytes=parent_id) if parent_id else None, name)
                for group_id, parent_id, name in self._rows("SELECT id, parent_id, name FROM groups ORDER BY name")]

    def cashiers(self) -> list[CashierLine]:
        """The point's cashiers, by name."""
        return [CashierLine.model_validate_json(line) for line, in self._rows("SELECT line FROM cashiers ORDER BY name")]

    def cashier_by_pin(self, pin: str) -> CashierLine | None:
        """The cashier whose PIN this is, checked offline against the argon2 hashes the server sent.

        Each check costs what the server's hashing parameters make it cost, one cashier after another:
        ~0.3 s at argon2-cffi's defaults on a two-core machine, so a wrong PIN at a point of ten
        cashiers takes seconds. Choosing the cashier first and checking one hash would not."""
        for cashier in self.cashiers():
            try:
                if _hasher.verify(cashier.pin_hash, pin):
                    return cashier
            except (VerificationError, InvalidHashError):
                continue
        return None

    def _rows(self, sql: str, parameters: Sequence = ()) -> list[tuple]:
        with self._reading:
            return self._reader.execute(sql, parameters).fetchall()

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """The readers' connection in a read transaction: its queries all see one state of the catalog."""
        with self._reading:
            self._reader.execute("BEGIN")
            try:
                yield self._reader
            finally:
                self._reader.execute("COMMIT")


class _Stream:
    """One stream being applied in the writer's open transaction: lines gathered in batches of one kind."""

    def __init__(self, writer: sqlite3.Connection, begin: Begin):
        self.writer, self.begin = writer, begin
        self.full = begin.since == 0  # everything comes: it replaces what the catalog has
        self.next_key = 1  # the products' keys, given in order by a stream from 0

    def apply(self, lines) -> None:
        revision, catalog_id = self.writer.execute("SELECT revision, catalog_id FROM state").fetchone()
        if not self.full and self.begin.since != revision:
            raise OutOfOrder(f"the stream starts after revision {self.begin.since}; the catalog is at {revision}")
        self.catalog_id = catalog_id
        if self.full:
            self._clear()
        write = {"point": self._point, "hot_keys": self._hot_keys, "cashier": self._cashiers, "deleted": self._deleted,
                 "group": self._groups, "product": self._load_products if self.full else self._change_products}
        batch: list = []
        count = 0
        for line in lines:
            if isinstance(line, End):
                break
            if isinstance(line, Begin):
                raise CutStream("a second `begin` came before the first stream's `end`")
            count += 1
            if batch and (line.type != batch[0].type or len(batch) >= BATCH):
                write[batch[0].type](batch)
                batch = []
            batch.append(line)
        else:
            raise CutStream(f"the stream ended after {count} lines, before its `end`")
        if batch:
            write[batch[0].type](batch)
        if (line.lines, line.revision) != (count, self.begin.revision):
            raise CutStream(f"`end` counts {line.lines} lines to revision {line.revision}; "
                            f"{count} came, to revision {self.begin.revision}")
        if self.full:
            for statement in _PRODUCT_INDEXES:
                self.writer.execute(statement)
            # In rowid order, as FTS5 appends fastest.
            self.writer.execute(f"INSERT INTO product_words (rowid, name) SELECT key, {_WORDS_OF} FROM products"
                                " WHERE NOT archived")
        self.writer.execute("UPDATE state SET revision = ?", (line.revision,))

    def _clear(self) -> None:
        """Empty the catalog; the products' tables are made again bare, their indexes come after the rows."""
        for table in ("products", "barcodes", "product_words"):
            self.writer.execute(f"DROP TABLE {table}")
        for statement in _PRODUCT_TABLES:
            self.writer.execute(statement)
        for table in ("groups", "hot_keys", "cashiers"):
            self.writer.execute(f"DELETE FROM {table}")
        self.writer.execute("UPDATE state SET catalog_id = NULL, point = NULL")

    def _point(self, lines: list[PointLine]) -> None:
        point = lines[-1]
        if not self.full and self.catalog_id is not None and point.catalog_id.bytes != self.catalog_id:
            raise _CatalogSwitched()
        self.writer.execute("UPDATE state SET catalog_id = ?, point = ?", (point.catalog_id.bytes, point.model_dump_json()))

    def _hot_keys(self, lines: list[HotKeysLine]) -> None:
        self.writer.execute("DELETE FROM hot_keys")
        self.writer.executemany("INSERT INTO hot_keys (position, product_id) VALUES (?, ?)",
                                [(key.position, key.product_id.bytes) for key in lines[-1].keys])

    def _cashiers(self, lines: list[CashierLine]) -> None:
        self.writer.executemany("DELETE FROM cashiers WHERE id = ?", [(line.id.bytes,) for line in lines if not line.active])
        self.writer.executemany("INSERT OR REPLACE INTO cashiers (id, name, line) VALUES (?, ?, ?)",
                                [(line.id.bytes, line.name, line.model_dump_json()) for line in lines if line.active])

    def _deleted(self, lines: list[DeletedLine]) -> None:
        products = [(line.id.bytes,) for line in lines if line.kind == "product"]
        self._unlist(products)
        self.writer.executemany("DELETE FROM products WHERE id = ?", products)
        self.writer.executemany("DELETE FROM groups WHERE id = ?", [(line.id.bytes,) for line in lines if line.kind == "group"])

    def _groups(self, lines: list[GroupLine]) -> None:
        self.writer.executemany("INSERT OR REPLACE INTO groups (id, parent_id, name) VALUES (?, ?, ?)",
                                [(line.id.bytes, line.parent_id.bytes if line.parent_id else None, line.name)
                                 for line in lines])

    def _load_products(self, lines: list[ProductLine]) -> None:
        """Products into the bare tables of a stream from 0, each under the next key."""
        first = self.next_key
        self.next_key += len(lines)
        self.writer.executemany(f"INSERT INTO products (key, {', '.join(_FIELDS)}) VALUES (?{', ?' * len(_FIELDS)})",
                                [(key, *_row(line)) for key, line in enumerate(lines, first)])
        self.writer.executemany("INSERT INTO barcodes (code, product_key) VALUES (?, ?)",
                                [(code, key) for key, line in enumerate(lines, first) for code in line.barcodes])

    def _change_products(self, lines: list[ProductLine]) -> None:
        """New or changed products: each keeps its key; its words and barcodes are replaced."""
        lines = list({line.id: line for line in lines}.values())  # a product twice would be listed twice for search
        ids = [(line.id.bytes,) for line in lines]
        self._unlist(ids)
        self.writer.executemany(
            f"INSERT INTO products ({', '.join(_FIELDS)}) VALUES (?{', ?' * (len(_FIELDS) - 1)})"
            f" ON CONFLICT (id) DO UPDATE SET {', '.join(f'{field} = excluded.{field}' for field in _FIELDS[1:])}",
            [_row(line) for line in lines])
        self.writer.executemany(f"INSERT INTO product_words (rowid, name) SELECT key, {_WORDS_OF} FROM products"
                                " WHERE id = ? AND NOT archived", ids)
        # The last product to name a barcode has it (the server frees a barcode before another takes it).
        self.writer.executemany("INSERT OR REPLACE INTO barcodes (code, product_key) SELECT ?, key FROM products WHERE id = ?",
                                [(code, line.id.bytes) for line in lines for code in line.barcodes])

    def _unlist(self, ids: list[tuple[bytes]]) -> None:
        """Take products' words out of the search index and drop their barcodes, before they change or go."""
        self.writer.executemany("INSERT INTO product_words (product_words, rowid, name)"
                                f" SELECT 'delete', key, {_WORDS_OF} FROM products WHERE id = ? AND NOT archived", ids)
        self.writer.executemany("DELETE FROM barcodes WHERE product_key = (SELECT key FROM products WHERE id = ?)", ids)


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: transactions are begun and ended here, not by the driver;
    # check_same_thread=False: each connection is used under its lock, from any thread.
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA synchronous = NORMAL")
    return connection


def _row(line: ProductLine) -> tuple:
    return (line.id.bytes, line.group_id.bytes if line.group_id else None, line.name, line.short_name, line.article,
            line.code, line.price, line.min_price, line.cost_price, line.vat, line.unit, line.kind, line.by_weight,
            line.free_price, line.archived, line.from_register)


def _product(row: Sequence) -> Product:
    return Product(uuid.UUID(bytes=row[0]), uuid.UUID(bytes=row[1]) if row[1] else None, *row[2:12],
                   bool(row[12]), bool(row[13]), bool(row[14]), bool(row[15]))


def _folded(text: str) -> str:
    """ё as е, as `_WORDS_OF` folds names for the search index."""
    return text.replace("ё", "е").replace("Ё", "Е")


def _alphabetical(name: str) -> str:
    """A name's place in a list sorted for people: case aside, ё with е."""
    return _folded(name).casefold()


def _words(text: str) -> list[str]:
    """The words typed, as the search index splits and folds them (it folds their case itself)."""
    return _WORD.findall(_folded(text))
