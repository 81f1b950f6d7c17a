"""The OFD → FNS JSON form: names from the reference, value forms, and the round trip."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openkassa.fiscal.errors import InvalidDocument
from openkassa.fiscal.fnsjson import from_json, to_json
from openkassa.fiscal.tags import CHILDREN, NESTED_ONLY, TAGS
from openkassa.fiscal.tlv import decode_document, encode_document

from .test_tlv import SHIFT_CLOSE, WORKED_EXAMPLE, fields_strategy


def test_the_worked_example_becomes_the_fns_receipt_object():
    # given the receipt of §1.3
    form, fields = decode_document(WORKED_EXAMPLE)
    # when it is put in FNS JSON
    document = to_json(form, fields)
    # then money is in kopecks, the items are a list and the quantity a number
    assert document == {
        "receipt": {
            "code": 3,
            "operationType": 1,
            "totalSum": 12345,
            "items": [{"name": "Товар", "price": 12345, "quantity": 1, "sum": 12345}],
        }
    }


def test_a_full_receipt_shows_each_value_in_its_json_form():
    # given a receipt with a date, a fiscal sign, a flag, a fractional quantity and a padded INN
    fields = [
        (1209, 4),
        (1000, "КАССОВЫЙ ЧЕК"),  # printed only: not sent
        (1018, "7729724371"),
        (1012, datetime(2024, 3, 1, 9, 0)),
        (1077, bytes.fromhex("2104AA107541")),
        (1108, True),
        (1059, [(1030, "Сыр"), (1023, Decimal("0.250")), (1043, 12000)]),
        (1059, [(1030, "Хлеб"), (1023, Decimal("2")), (1043, 9000)]),
        (1196, "t=20240301T0900&s=210.00"),  # printed only: not sent
        (9999, b"\x01"),  # unknown: left out
    ]
    # when it is put in FNS JSON
    receipt = to_json(3, fields)["receipt"]
    # then
    assert receipt == {
        "code": 3,
        "fiscalDocumentFormatVer": 4,
        "userInn": "7729724371",
        "dateTime": 1709283600,
        "fiscalSign": 0x2104AA107541,  # 36300470908225: the six bytes as a big-endian integer (§4.1)
        "internetSign": 1,
        "items": [{"name": "Сыр", "quantity": 0.25, "sum": 12000}, {"name": "Хлеб", "quantity": 2, "sum": 9000}],
    }
    # and it is plain JSON (no Decimal, no datetime)
    assert json.loads(json.dumps(receipt)) == receipt


def test_the_shift_close_counters_become_nested_objects():
    # given the hand-built shift close report of test_tlv
    form, fields = decode_document(SHIFT_CLOSE)
    # when put in FNS JSON
    document = to_json(form, fields)
    # then 1194 → 1129 are objects with their names
    assert document["closeShift"]["shiftSumReports"] == {
        "totalReceiptBsoCount": 1,
        "sellOper": {"receiptBsoCount": 1, "cashSum": 12345, "totalSum": 12345, "tax18Sum": 2058, "ecashSum": 0},
    }
    assert document["closeShift"]["receiptsQuantity"] == 1
    # and back from JSON, the same bytes are written
    assert encode_document(*from_json(document)) == SHIFT_CLOSE


def test_the_settlement_status_report_names_the_key_resource_as_coop_fd_does():
    assert to_json(21, [(1213, 300)]) == {"currentStateReport": {"code": 21, "keyResource": 300}}
    assert to_json(5, [(1213, 300)]) == {"closeShift": {"code": 5, "fdKeyResource": 300}}
    assert from_json({"currentStateReport": {"code": 21, "keyResource": 300}}) == (21, [(1213, 300)])


def test_names_are_unique_within_each_level():
    # given the names at the top level and inside each STLV
    top = [TAGS[tag].json_name for tag in TAGS if tag not in NESTED_ONLY and TAGS[tag].json_name]
    assert len(top) == len(set(top))
    for parent, children in CHILDREN.items():
        names = [TAGS[tag].json_name for tag in children if TAGS[tag].json_name]
        assert len(names) == len(set(names)), parent


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ({"receipt": {"code": 3, "noSuchField": 1}}, "unknown JSON name 'noSuchField'"),
        ({"receipt": {"code": 5}}, "expected 3"),
        ({"invoice": {}}, "unknown document object"),
        ({"receipt": {"totalSum": "100"}}, "expected an integer"),
        ({"receipt": {"fiscalSign": 1 << 48}}, "2^48"),
        ({"receipt": {"internetSign": True}}, "expected an integer"),
        ({"receipt": {"items": [{"quantity": "1"}]}}, "expected a number"),
    ],
)
def test_malformed_json_is_refused(document, words):
    with pytest.raises(InvalidDocument) as refused:
        from_json(document)
    assert words in refused.value.reason


@settings(max_examples=150, deadline=None)
@given(fields=fields_strategy, form=st.sampled_from([1, 2, 3, 5, 6, 21, 31]))
def test_json_read_back_gives_the_same_json(fields, form):
    # given any requisites put in FNS JSON
    document = to_json(form, fields)
    # when read back and put in JSON again
    again = to_json(*from_json(document))
    # then nothing changed, and it survives a trip through the json module
    assert again == document
    assert json.loads(json.dumps(document)) == document
