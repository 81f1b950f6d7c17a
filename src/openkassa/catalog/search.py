"""Finding products of a catalog by what a person types: words of the name, article or code (each
word matches the start of a word, in any order, any case, ё = е), or the start of a barcode.

SQLite answers from the FTS5 table `products_fts`, PostgreSQL from the GIN index `ix_products_search`
over a `simple` tsvector; both are made by the migrations 0002 and 0003. Neither is a model, so the schema
comparison leaves them out (`is_search_object`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from sqlalchemy import ColumnElement, Insert, Select, and_, column, false, func, insert, literal_column, or_, select, table, text
from sqlalchemy.orm import Session

from openkassa.catalog.models import Barcode, Product

MAX_WORDS = 8
SELECTIVE_MATCHES = 10_000  # SQLite: below this many matches a search starts from them, above from the list order
POSTGRESQL_MATCHES_FIRST = 100_000  # the same on PostgreSQL, where taking the matches first costs less
_WORD = re.compile(r"[^\W_]+")  # letters and digits: what both indexes split words into

POSTGRESQL_DOCUMENT = (
    "to_tsvector('simple', regexp_replace(translate(name || ' ' || article || ' ' || code, 'Ёё', 'Ее'), '[^[:alnum:]]+', ' ', 'g'))"
)
"""The indexed expression of PostgreSQL, exactly as the migration writes it (else the index is not used).
Everything but letters and digits becomes a space first, so its words are those of `words()`: the
`simple` parser alone keeps «0.5», «-2024» or «w.05» whole."""


SQLITE_INSERT_TRIGGER = "products_fts_insert"
"""The trigger that puts a new product's words in the FTS5 table (migrations 0002 and 0003); a bulk
import drops it for its inserts and calls `sqlite_index_products` instead."""


def sqlite_index_products(join: Callable[[Select], Select]) -> Insert:
    """The statement that puts products' words in the FTS5 table as the insert trigger does one by
    one (ё as е). `join` adds to a select of the words which products, and in which order: rising
    search keys, which FTS5 takes in runs."""
    words = select(Product.search_key, Product.catalog_id,
                   func.replace(func.replace(Product.name, "ё", "е"), "Ё", "Е"), Product.article, Product.code)
    fts = table("products_fts", column("rowid"), column("catalog_id"), column("name"), column("article"), column("code"))
    return insert(fts).from_select(["rowid", "catalog_id", "name", "article", "code"], join(words))


def is_search_object(name: str | None) -> bool:
    """True for the search index's own tables and index, which no model describes."""
    return bool(name) and (name.startswith("products_fts") or name == "ix_products_search")


def words(typed: str) -> list[str]:
    """The words of a query, lower-cased, ё as е, at most MAX_WORDS."""
    return _WORD.findall(typed.lower().replace("ё", "е"))[:MAX_WORDS]


def conditions(session: Session, catalog_id: uuid.UUID, typed: str) -> list[ColumnElement[bool]]:
    """The conditions on Product of a catalog's products matching what was typed: all of them when
    nothing was typed, none when what was typed holds no letter or digit."""
    in_catalog = Product.catalog_id == catalog_id
    if not typed.strip():
        return [in_catalog]
    found = words(typed)
    if not found:
        return [false()]
    code = typed.strip()
    by_barcode = None
    if code.isdigit() and len(code) >= 4:
        by_barcode = Product.id.in_(select(Barcode.product_id).where(Barcode.catalog_id == catalog_id, starts_with(Barcode.code, code)))
    if session.get_bind().dialect.name != "sqlite":
        query = " & ".join(f"{word}:*" for word in found)
        by_words = text(f"{POSTGRESQL_DOCUMENT} @@ to_tsquery('simple', :words)").bindparams(words=query)
        if by_barcode is not None:
            return [in_catalog, or_(by_words, by_barcode)]
        # Sorted by name, PostgreSQL walks the catalog's name index and computes each product's words
        # until a page is full: seconds when the matches sit far down the alphabet. Unless they are
        # many (and so come soon), take them first from the search index, kept apart (MATERIALIZED)
        # so the planner cannot fold them back into that walk, and sort just those.
        matches = select(Product.id).where(in_catalog, by_words)
        count = session.scalar(select(func.count()).select_from(matches.limit(POSTGRESQL_MATCHES_FIRST + 1).subquery()))
        if count > POSTGRESQL_MATCHES_FIRST:
            return [in_catalog, by_words]
        found = matches.cte("search_matches").prefix_with("MATERIALIZED")
        return [in_catalog, Product.id.in_(select(found.c.id))]
    query = " AND ".join(f'"{word}"*' for word in found)  # a word holds no quote: nothing to escape
    fts = select(literal_column("rowid")).select_from(table("products_fts")).where(text("products_fts MATCH :words").bindparams(words=query))
    by_words = Product.search_key.in_(fts)
    if by_barcode is not None:
        return [in_catalog, or_(by_words, by_barcode)]
    # SQLite plans without statistics: left alone it walks the catalog's name index and tests every
    # product against the matches, slow when they are few. When they are few, hide the catalog's
    # index from it ("+column"), so it starts from the matches instead and sorts just those.
    few = session.scalar(select(func.count()).select_from(fts.limit(SELECTIVE_MATCHES + 1).subquery())) <= SELECTIVE_MATCHES
    if few:
        in_catalog = literal_column("+products.catalog_id", Product.catalog_id.type) == catalog_id
    return [in_catalog, by_words]


def starts_with(column, prefix: str) -> ColumnElement[bool]:
    """`column` starts with `prefix`, written as a range so that an index serves it on every database."""
    return and_(column >= prefix, column < prefix[:-1] + chr(ord(prefix[-1]) + 1))
