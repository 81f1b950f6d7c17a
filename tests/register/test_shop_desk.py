"""How the register reads an online shop's document before it rings it up."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from openkassa.fiscal.enums import PaymentMethod
from openkassa.protocol import shopdocs as wire
from openkassa.register.shop import Refused, lines_of


def document(**changes) -> wire.ShopDocument:
    line = {"name": "Услуга", "price": 3333, "quantity": 3000, "discount": 0, "amount": 10000, "vat": 6,
            "item_type": 4, "payment_method": None}
    data = {"id": uuid.uuid4(), "external_id": "x", "doc_num": "1", "settlement": 1, "checkout_at": datetime.now(UTC),
            "contact": "b@e.com", "tax_system": None, "print": False, "text": "", "cashier": {}, "client": {},
            "lines": [line | changes.pop("line", {})], "payments": [{"type": "CARD", "amount": 10000}], "total": 10000}
    return wire.ShopDocument.model_validate(data | changes)


def test_a_line_is_rung_up_to_the_shops_kopeck():
    # given 33.333… ₽ × 3 that the shop charged 100.00 ₽ for
    [line] = lines_of(document())
    # then the price goes up a kopeck and the difference is a discount: 33.34 × 3 − 0.02 = 100.00
    assert (line.price, line.quantity, line.discount) == (3334, 3000, 2)
    # and with no method given the register settles it as it would (full payment, or credit)
    assert line.method is None
    assert lines_of(document(line={"payment_method": 1}))[0].method is PaymentMethod.FULL_PREPAYMENT


@pytest.mark.parametrize("changes", [{"client": {"name": "ООО «Ромашка»", "inn": "7707083893"}},
                                     {"line": {"country": "643"}}, {"line": {"declaration": "10702070/010120/0000001"}},
                                     {"line": {"mark": "010460..."}}, {"agent": {"types": ["attorney"]}}])
def test_details_the_register_cannot_print_refuse_the_document_instead_of_leaving_them_off(changes):
    with pytest.raises(Refused) as refused:
        lines_of(document(**changes))
    assert refused.value.kind == "NON_FN_FAILURE"
