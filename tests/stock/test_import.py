"""An inventory count typed into a spreadsheet is added to a draft whole, or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from openkassa.catalog.schemas import ProductIn
from openkassa.catalog.service import create_product
from openkassa.errors import Invalid
from openkassa.stock import service
from openkassa.stock.schemas import DocumentIn
from stock.conftest import make_shop

FILES = Path(__file__).parent / "files"


def test_a_count_made_in_libreoffice_is_added_by_barcode_and_code(db):
    # given milk, bread (by barcode) and sugar (by internal code К-3) in the point's catalog, and a count draft
    shop = make_shop(db)
    with db.transaction(immediate=True) as session:
        actor = shop.actor(session)
        catalog_id = service.catalogs_of(session, actor, shop.shop)[0]
        milk, bread, sugar = (create_product(session, actor, catalog_id, ProductIn(name=name, price=100, **extra)).product.id
                              for name, extra in (("Молоко", {"barcodes": ["4600000000015"]}),
                                                  ("Хлеб", {"barcodes": ["4600000000022"]}), ("Сахар", {"code": "К-3"})))
        count = service.create_document(session, actor, DocumentIn(kind="count", warehouse_id=shop.shop))
        service.add_line(session, actor, count.id, barcode="4600000000022")  # one bread scanned before
        # when the file LibreOffice saved is imported (milk on two rows, bread as «3,5» text)
        added = service.import_lines(session, actor, count.id, path=FILES / "libreoffice_count.xlsx",
                                     filename="Инвентаризация.xlsx")
        # then every row counted: milk summed, bread added to the scanned one, sugar found by its code
        _document, lines = service.get_document(session, actor, count.id)
        assert added == 4
        assert {line.product_id: line.quantity for line in lines} == {milk: 13000, bread: 4500, sugar: 2000}
        assert count.lines_count == 3


def test_a_file_with_bad_rows_adds_nothing_and_names_them(db):
    shop = make_shop(db)
    with db.transaction(immediate=True) as session:
        actor = shop.actor(session)
        catalog_id = service.catalogs_of(session, actor, shop.shop)[0]
        for name, code in (("Молоко", "4600000000015"), ("Хлеб", "4600000000022")):
            create_product(session, actor, catalog_id, ProductIn(name=name, price=100, barcodes=[code]))
        count = service.create_document(session, actor, DocumentIn(kind="count", warehouse_id=shop.shop))
        # when a Windows-1251 CSV with an unknown barcode, a negative and a wordy quantity and a row
        # without a barcode is imported
        with pytest.raises(Invalid) as refused:
            service.import_lines(session, actor, count.id, path=FILES / "bad_count_windows1251.csv", filename="count.csv")
        # then each bad row is named, and nothing was added, not even the good first row
        assert refused.value.fields == {
            "file": "4 rows of the file have mistakes; nothing was added.",
            "rows.3": "Row 3: no product has the barcode 4699999999999.",
            "rows.4": "Row 4: the quantity must be more than zero.",
            "rows.5": "Row 5: the quantity «много» is not a number.",
            "rows.6": "Row 6: no barcode or code."}
        assert service.get_document(session, actor, count.id)[1] == []
        # and a file that is not a table, or lacks the columns, is refused as a whole
        with pytest.raises(Invalid) as refused:
            service.import_lines(session, actor, count.id, path=Path(__file__), filename="test.py")
        assert set(refused.value.fields) == {"file"}


def test_a_file_too_long_or_with_too_much_of_a_product_is_refused_by_row(db, tmp_path, monkeypatch):
    shop = make_shop(db)
    with db.transaction(immediate=True) as session:
        actor = shop.actor(session)
        catalog_id = service.catalogs_of(session, actor, shop.shop)[0]
        create_product(session, actor, catalog_id, ProductIn(name="Гвозди", price=100, barcodes=["4600000000015"]))
        count = service.create_document(session, actor, DocumentIn(kind="count", warehouse_id=shop.shop))
        # given a file listing the same product twice, 600 million each, more than a line can hold together
        file = tmp_path / "count.csv"
        file.write_text("Штрихкод;Количество\n4600000000015;600000000\n4600000000015;600000000\n", encoding="utf-8")
        # when it is imported
        with pytest.raises(Invalid) as refused:
            service.import_lines(session, actor, count.id, path=file, filename="count.csv")
        # then the row that overflows is named, and nothing was added
        assert refused.value.fields["rows.3"] == "Row 3: the product's quantity in the document would be too large."
        assert service.get_document(session, actor, count.id)[1] == []
        # and a file longer than a document may be is refused as a whole
        monkeypatch.setattr(service, "MAX_LINES", 1)
        with pytest.raises(Invalid) as refused:
            service.import_lines(session, actor, count.id, path=file, filename="count.csv")
        assert refused.value.fields == {"file": "At most 1 rows a document."}
