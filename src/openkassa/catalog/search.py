"""Finding products of a catalog by what a person types: words of the name, article or code (each
word matches the start of a word, in any order, any case, ё = е), or the start of a barcode.

SQLite answers from the FTS5 table `products_fts`, PostgreSQL from the GIN index `ix_products_search`
over a `simple` tsvector; both are made by the migration 0002. Neither is a model, so the schema
comparison leaves them out (`is_search_object`).
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy import ColumnElement, and_, false, literal_column, or_, select, table, text
from sqlalchemy.orm import Session

from openkassa.catalog.models import Barcode, Product

MAX_WORDS = 8
_WORD = re.compile(r"[^\W_]+")  # letters and digits: what both indexes split words into

POSTGRESQL_DOCUMENT = "to_tsvector('simple', translate(name || ' ' || article || ' ' || code, 'Ёё', 'Ее'))"
"""The indexed expression of PostgreSQL, exactly as the migration writes it (else the index is not used)."""


def is_search_object(name: str | None) -> bool:
    """True for the search index's own tables and index, which no model describes."""
    return bool(name) and (name.startswith("products_fts") or name == "ix_products_search")


def words(typed: str) -> list[str]:
    """The words of a query, lower-cased, ё as е, at most MAX_WORDS."""
    return _WORD.findall(typed.lower().replace("ё", "е"))[:MAX_WORDS]


def matching(session: Session, catalog_id: uuid.UUID, typed: str) -> ColumnElement[bool] | None:
    """A condition on Product: matches what was typed; None when nothing was typed (everything
    matches), false when what was typed holds no letter or digit (nothing matches)."""
    if not typed.strip():
        return None
    found = words(typed)
    if not found:
        return false()
    if session.get_bind().dialect.name == "sqlite":
        query = " AND ".join(f'"{word}"*' for word in found)  # a word holds no quote: nothing to escape
        fts = select(literal_column("rowid")).select_from(table("products_fts")).where(
            text("products_fts MATCH :words").bindparams(words=query)
        )
        by_words = Product.search_key.in_(fts)
    else:
        query = " & ".join(f"{word}:*" for word in found)
        by_words = text(f"{POSTGRESQL_DOCUMENT} @@ to_tsquery('simple', :words)").bindparams(words=query)
    code = typed.strip()
    if code.isdigit() and len(code) >= 4:
        return or_(by_words, Product.id.in_(
            select(Barcode.product_id).where(Barcode.catalog_id == catalog_id, starts_with(Barcode.code, code))
        ))
    return by_words


def starts_with(column, prefix: str) -> ColumnElement[bool]:
    """`column` starts with `prefix`, written as a range so that an index serves it on every database."""
    return and_(column >= prefix, column < prefix[:-1] + chr(ord(prefix[-1]) + 1))
