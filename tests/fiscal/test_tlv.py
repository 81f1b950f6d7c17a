"""TLV bytes of ФФД 1.2: hand-checked golden strings from the reference, refusals, and round trips."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openkassa.fiscal.errors import DecodeError, InvalidDocument
from openkassa.fiscal.tags import CHILDREN, EXACT_BYTES, NESTED_ONLY, TAGS, Kind, spec
from openkassa.fiscal.tlv import (
    Fields,
    decode_document,
    decode_fields,
    encode_document,
    encode_fields,
    encode_quantity,
    encode_structure,
    to_cp866,
    wrap_document,
    writer,
)

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "ffd-1.2.md"


def hexbytes(text: str) -> bytes:
    """Bytes from hex written with spaces, newlines and `#` comments, as in the reference §1.3."""
    return bytes.fromhex("".join(line.split("#")[0] for line in text.splitlines()))


# --- golden byte strings -----------------------------------------------------------------------------

WORKED_EXAMPLE = hexbytes("""
    03 00 2A 00                      # document tag 3 (receipt), length 42
      1E 04 01 00  01                # 1054 = 1 (приход)
      FC 03 02 00  39 30             # 1020 = 12345 kopecks (VLN)
      23 04 1B 00                    # 1059 item, length 27
        06 04 05 00  92 AE A2 A0 E0  # 1030 = "Товар" (CP866)
        37 04 02 00  39 30           # 1079 = 12345
        FF 03 02 00  00 01           # 1023 = FVLN, 0 decimals, mantissa 1 → 1
        13 04 02 00  39 30           # 1043 = 12345
""")


def test_the_worked_example_of_the_reference_decodes_to_its_values_and_back():
    # given the minimal receipt of §1.3
    # when it is decoded
    form, fields = decode_document(WORKED_EXAMPLE)
    # then it is a receipt with one item of 123.45 roubles
    assert form == 3
    assert fields == [
        (1054, 1),
        (1020, 12345),
        (1059, [(1030, "Товар"), (1079, 12345), (1023, Decimal("1")), (1043, 12345)]),
    ]
    # and writing it again gives the same bytes
    assert encode_document(form, fields) == WORKED_EXAMPLE


@pytest.mark.parametrize(
    ("tag", "value", "expected"),
    [
        (1020, 0x12345678, "FC 03 04 00  78 56 34 12"),  # VLN, minimal little-endian
        (1020, 0x123456, "FC 03 03 00  56 34 12"),
        (1020, 0, "FC 03 01 00  00"),  # zero as one 00 byte (unconfirmed.ZERO_VLN_AS_EMPTY = False)
        (1023, Decimal("11.93046"), "FF 03 04 00  05 56 34 12"),  # FVLN: 5 decimals, mantissa 0x123456
        (1023, Decimal("2.5"), "FF 03 02 00  01 19"),  # 25 = 0x19, one decimal
        (1023, Decimal("2.500"), "FF 03 03 00  03 C4 09"),  # 2500 = 0x09C4, three decimals
        (1018, "7729724371", "FA 03 0C 00  37 37 32 39 37 32 34 33 37 31 20 20"),  # INN + two spaces
        (1030, "Товар", "06 04 05 00  92 AE A2 A0 E0"),  # CP866
        (1213, 365, "BD 04 02 00  6D 01"),  # U16
        (1040, 1, "10 04 04 00  01 00 00 00"),  # U32, fixed width
        (1002, True, "EA 03 01 00  01"),  # Bool
        (1012, datetime(2024, 3, 1, 9, 0), "F4 03 04 00  10 99 E1 65"),  # 1709283600 = 0x65E19910
        (1077, bytes.fromhex("2104AA107541"), "35 04 06 00  21 04 AA 10 75 41"),
    ],
)
def test_a_value_is_written_exactly_as_the_reference_shows(tag, value, expected):
    # given one requisite
    # when it is encoded
    data = encode_fields([(tag, value)])
    # then the bytes are those of §1.2 / §1.3, and they read back to the value
    assert data == hexbytes(expected)
    assert decode_fields(data) == [(tag, value)]


def test_a_quantity_keeps_the_decimals_it_was_written_with():
    # given 2.5 written with one and with three decimals
    short, long = decode_fields(hexbytes("FF 03 02 00 01 19  FF 03 03 00 03 C4 09"))
    # then both are 2.5, and each keeps its exponent so it is written back the same way
    assert short[1] == long[1] == Decimal("2.5")
    assert short[1].as_tuple().exponent == -1 and long[1].as_tuple().exponent == -3


SHIFT_OPEN = hexbytes("""
    02 00 6D 00                                   # form 2 (shift open report), length 109
      B9 04 01 00  04                             # 1209 FFD version = 4 (1.2)
      FA 03 0C 00  37 37 32 39 37 32 34 33 37 31  # 1018 user INN "7729724371"
                   20 20                          #      padded with two spaces to 12
      F4 03 04 00  10 99 E1 65                    # 1012 2024-03-01 09:00 = 1709283600
      0E 04 04 00  01 00 00 00                    # 1038 shift 1 (U32)
      0D 04 14 00  30 30 30 30 30 30 30 30 30 31  # 1037 registration number "0000000001012345"
                   30 31 32 33 34 35 20 20 20 20  #      + 4 spaces = 20 bytes
      FD 03 06 00  88 A2 A0 AD AE A2              # 1021 cashier "Иванов" (CP866)
      10 04 04 00  02 00 00 00                    # 1040 document number 2
      11 04 10 00  39 39 39 39 30 37 38 39 30 30  # 1041 FN number "9999078900001234"
                   30 30 31 32 33 34
      35 04 06 00  21 04 AA 10 75 41              # 1077 fiscal sign (6 bytes)
""")

SHIFT_OPEN_FIELDS: Fields = [
    (1209, 4),
    (1018, "7729724371"),
    (1012, datetime(2024, 3, 1, 9, 0)),
    (1038, 1),
    (1037, "0000000001012345"),
    (1021, "Иванов"),
    (1040, 2),
    (1041, "9999078900001234"),
    (1077, bytes.fromhex("2104AA107541")),
]


def test_a_hand_built_shift_open_report_is_written_and_read_back():
    # given the shift open report's requisites
    # when it is encoded, then the bytes are the hand-checked ones
    assert encode_document(2, SHIFT_OPEN_FIELDS) == SHIFT_OPEN
    # and when they are decoded, then the requisites come back with the padding stripped
    assert decode_document(SHIFT_OPEN) == (2, SHIFT_OPEN_FIELDS)


SHIFT_CLOSE = hexbytes("""
    05 00 4C 00                        # form 5 (shift close report), length 76
      B9 04 01 00  04                  # 1209 FFD version = 4
      0E 04 04 00  01 00 00 00         # 1038 shift 1
      5E 04 04 00  01 00 00 00         # 1118 one receipt in the shift
      AA 04 2B 00                      # 1194 shift totals, length 43
        6E 04 04 00  01 00 00 00       #   1134 one receipt of all types
        69 04 1F 00                    #   1129 sale counters, length 31
          6F 04 04 00  01 00 00 00     #     1135 one sale receipt
          70 04 02 00  39 30           #     1136 cash 123.45
          B1 04 02 00  39 30           #     1201 total 123.45
          73 04 02 00  0A 08           #     1139 VAT 20% 20.58 (2058 = 0x080A)
          72 04 01 00  00              #     1138 cashless 0
      10 04 04 00  05 00 00 00         # 1040 document number 5
""")

SHIFT_CLOSE_FIELDS: Fields = [
    (1209, 4),
    (1038, 1),
    (1118, 1),
    (1194, [
        (1134, 1),
        (1129, [(1135, 1), (1136, 12345), (1201, 12345), (1139, 2058), (1138, 0)]),
    ]),
    (1040, 5),
]


def test_a_hand_built_shift_close_report_with_nested_counters_is_written_and_read_back():
    # given a shift close report whose totals nest 1194 → 1129 → 1135
    # when it is encoded, then the bytes are the hand-checked ones
    assert encode_document(5, SHIFT_CLOSE_FIELDS) == SHIFT_CLOSE
    # and when decoded, the nested counters come back in order
    assert decode_document(SHIFT_CLOSE) == (5, SHIFT_CLOSE_FIELDS)


def test_unknown_tags_are_kept_as_bytes_and_written_back_unchanged():
    # given a document with a tag this library does not know (9999 = 0x270F)
    data = hexbytes("03 00 0B 00  0F 27 02 00 AB CD  1E 04 01 00 01")
    # when decoded and encoded again
    form, fields = decode_document(data)
    # then the unknown value is raw bytes, and nothing is lost
    assert fields == [(9999, b"\xab\xcd"), (1054, 1)]
    assert encode_document(form, fields) == data


def test_the_decoder_tolerates_what_other_writers_produce():
    # given an empty VLN (coop-fd's zero), a full-width VLN (yandex), an empty byte and 1213 as U32
    data = hexbytes("""
        FC 03 00 00                           # 1020 empty → 0
        07 04 08 00  39 30 00 00 00 00 00 00  # 1031 12345 at full width, 8 bytes
        1E 04 00 00                           # 1054 empty → 0
        BD 04 04 00  6D 01 00 00              # 1213 as U32 (yandex) → 365
        FF 03 04 00  01 19 00 00              # 1023 2.5 with a non-minimal mantissa
    """)
    # when decoded, then each reads as its number
    assert decode_fields(data) == [(1020, 0), (1031, 12345), (1054, 0), (1213, 365), (1023, Decimal("2.5"))]


# --- refusals ----------------------------------------------------------------------------------------


REFUSALS = [
    ([(1020, -1)], 1020, "negative"),
    ([(1020, 256**6)], 1020, "at most 6"),
    ([(1040, 2**32)], 1040, "U32"),
    ([(1054, 256)], 1054, "one byte"),
    ([(1002, 1)], 1002, "True or False"),
    ([(1020, True)], 1020, "integer"),
    ([(1030, "я" * 129)], 1030, "129 characters, at most 128"),
    ([(1030, "«Товар»")], 1030, "'«'"),
    ([(1018, "7729724371000")], 1018, "exactly 12"),
    ([(1077, b"\x00" * 5)], 1077, "exactly 6"),
    ([(1023, Decimal("-1"))], 1023, "negative"),
    ([(1023, 2.5)], 1023, "Decimal"),
    ([(1023, Decimal("NaN"))], 1023, "not a number"),
    ([(1023, Decimal("1E+17"))], 1023, "at most 7"),
    ([(1012, datetime(2024, 3, 1, 9, 0, 0, 500))], 1012, "whole seconds"),
    ([(1059, [(1030, "x" * 1100)])], 1030, "at most 128"),
    ([(9999, "text")], 9999, "raw bytes"),
]


@pytest.mark.parametrize(("fields", "tag", "words"), REFUSALS)
def test_a_value_the_drive_would_refuse_is_refused_naming_its_tag(fields, tag, words):
    # given a requisite out of its range
    # when it is encoded
    with pytest.raises(InvalidDocument) as refused:
        encode_fields(fields)
    # then the error names the tag and says why
    assert refused.value.tag == tag
    assert words in refused.value.reason


@pytest.mark.parametrize(("fields", "tag", "words"), [case for case in REFUSALS if case[0][0][0] in TAGS])
def test_a_tags_writer_refuses_what_the_encoder_refuses(fields, tag, words):
    # given a value the drive would refuse, when it is written alone by its tag's writer
    ((outer, value),) = fields
    with pytest.raises(InvalidDocument) as refused:
        writer(outer)(value)
    # then the refusal is the encoder's
    assert refused.value.tag == tag
    assert words in refused.value.reason


def test_a_non_cp866_character_is_named_in_the_refusal():
    # given an item name with an em dash
    with pytest.raises(InvalidDocument) as refused:
        encode_fields([(1059, [(1030, "Чай — чёрный")])])
    # then the refusal names the character, inside the item's name
    assert refused.value.tag == 1030
    assert "'—'" in refused.value.reason and "U+2014" in refused.value.reason


def test_a_document_longer_than_its_form_allows_is_refused():
    # given a shift open report (at most 4096 bytes) with 40 long cashier names
    fields = [(1021, "К" * 64)] * 70
    with pytest.raises(InvalidDocument) as refused:
        encode_document(2, fields)
    assert "at most 4096" in refused.value.reason


@pytest.mark.parametrize(
    ("data", "offset", "words"),
    [
        (WORKED_EXAMPLE[:3], 3, "4-byte header"),
        (WORKED_EXAMPLE[:-1], 4, "only 41 follow"),
        (WORKED_EXAMPLE + b"\x00", 46, "after the end"),
        (hexbytes("63 00 00 00"), 0, "unknown document form code 99"),
    ],
)
def test_a_malformed_document_is_refused_at_its_offset(data, offset, words):
    with pytest.raises(DecodeError) as refused:
        decode_document(data)
    assert refused.value.offset == offset
    assert words in refused.value.reason


@pytest.mark.parametrize(
    ("data", "offset", "words"),
    [
        (hexbytes("1E 04 01"), 0, "truncated TLV header"),
        (hexbytes("FC 03 05 00 01 02"), 0, "only 2 follow"),
        (hexbytes("10 04 02 00 01 00"), 4, "U32 needs exactly 4"),
        (hexbytes("FC 03 09 00 01 02 03 04 05 06 07 08 09"), 4, "at most 8"),
        (hexbytes("EA 03 01 00 02"), 4, "not a flag"),
        (hexbytes("35 04 05 00 01 02 03 04 05"), 4, "exactly 6"),
        (hexbytes("FF 03 00 00"), 4, "decimals byte is missing"),
        # 1059 whose content is a TLV header cut short: the error points inside the item
        (hexbytes("23 04 03 00 06 04 05"), 4, "truncated TLV header"),
        (hexbytes("23 04 06 00 06 04 05 00 92 AE"), 4, "tag 1030 declares 5 bytes, only 2 follow"),
    ],
)
def test_malformed_requisites_are_refused_at_their_offset(data, offset, words):
    with pytest.raises(DecodeError) as refused:
        decode_fields(data)
    assert refused.value.offset == offset
    assert words in refused.value.reason


# --- the tag table -----------------------------------------------------------------------------------


def _reference_rows() -> dict[int, tuple[str, str]]:
    """Tag → (type, JSON name) of every row in the §2 tables of the reference."""
    text = REFERENCE.read_text(encoding="utf-8")
    section = text[text.index("## 2. Document tables"):text.index("## 3. Enumerations")]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[0].isdigit():
            rows[int(cells[0])] = (cells[3], cells[4].split(" ")[0])
    return rows


_FAMILY = {"Str": {Kind.STRING, Kind.FIXED_STRING}, "Byte": {Kind.BYTE}, "Bool": {Kind.BOOL},
           "U16": {Kind.U16}, "U32": {Kind.U32}, "VLN": {Kind.VLN}, "FVLN": {Kind.FVLN},
           "Time": {Kind.TIME}, "Bytes": {Kind.BYTES}, "STLV": {Kind.STLV}, "Mask8": {Kind.MASK8},
           "Mask32": {Kind.MASK32}, "String": {Kind.STRING}}


@pytest.mark.skipif(not REFERENCE.exists(), reason="the shared reference is not checked out")
def test_every_tag_of_the_reference_tables_is_known_with_its_kind_and_json_name():
    # given the rows of the §2 tables
    rows = _reference_rows()
    assert len(rows) > 150
    for tag, (kind, json_name) in rows.items():
        # then each tag is in TAGS, of the kind the table gives, with the table's JSON name
        known = spec(tag)
        assert known is not None, tag
        family = re.match(r"[A-Za-z0-9]+?(?=[≤=]|$)", kind)
        assert family and known.kind in _FAMILY[family.group(0)], (tag, kind, known.kind)
        expected_name = None if json_name in ("—", "?") else json_name
        assert known.json_name == expected_name, tag
    assert 1000 in TAGS


def test_fixed_strings_have_the_lengths_of_the_reference():
    assert {tag: TAGS[tag].max_length for tag in (1018, 1037, 1041, 1230, 2115)} == {
        1018: 12, 1037: 20, 1041: 16, 1230: 3, 2115: 4}
    assert all(TAGS[tag].kind is Kind.FIXED_STRING for tag in (1018, 1017, 1203, 1016, 1226, 1228))


# --- round trips -------------------------------------------------------------------------------------

_CP866 = bytes(range(256)).decode("cp866")
_EPOCH = datetime(1970, 1, 1)


def _text(size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=_CP866, max_size=size)


def _value(tag: int, depth: int) -> st.SearchStrategy:
    """A value of `tag` the encoder accepts; strings and lists bounded to keep the tests fast."""
    known = TAGS[tag]
    size = known.max_length
    kind = known.kind
    if kind in (Kind.BYTE, Kind.MASK8):
        return st.integers(0, 255)
    if kind is Kind.BOOL:
        return st.booleans()
    if kind is Kind.U16:
        return st.integers(0, 0xFFFF)
    if kind in (Kind.U32, Kind.MASK32):
        return st.integers(0, 0xFFFFFFFF)
    if kind is Kind.VLN:
        return st.integers(0, 256**size - 1)
    if kind is Kind.FVLN:
        return st.builds(lambda m, d: Decimal(m).scaleb(-d), st.integers(0, 256 ** (size - 1) - 1), st.integers(0, 6))
    if kind is Kind.TIME:
        return st.integers(0, 0xFFFFFFFF).map(lambda s: _EPOCH + timedelta(seconds=s))
    if kind is Kind.STRING:
        return _text(min(size or 40, 24))
    if kind is Kind.FIXED_STRING:
        return _text(size).map(lambda s: s.rstrip(" "))
    if kind is Kind.BYTES:
        if tag in EXACT_BYTES:
            return st.binary(min_size=size, max_size=size)
        return st.binary(max_size=size)
    children = sorted(CHILDREN[tag])
    if depth > 2:
        return st.just([])
    child = st.sampled_from(children).flatmap(lambda c: st.tuples(st.just(c), _value(c, depth + 1)))
    return st.lists(child, max_size=4).filter(lambda v: len(encode_fields(v)) <= size)


_TOP_TAGS = sorted(set(TAGS) - NESTED_ONLY)
_unknown = st.tuples(st.integers(2000, 0xFFFF).filter(lambda t: t not in TAGS), st.binary(max_size=8))
_known = st.sampled_from(_TOP_TAGS).flatmap(lambda t: st.tuples(st.just(t), _value(t, 0)))
fields_strategy = st.lists(st.one_of(_known, _known, _known, _unknown), max_size=8)


@settings(max_examples=150, deadline=None)
@given(fields=fields_strategy)
def test_any_fields_the_encoder_accepts_read_back_equal(fields):
    # given any requisites built from the tag table
    # when encoded as a receipt and decoded
    data = encode_document(3, fields)
    form, decoded = decode_document(data)
    # then they are the same, and writing them again gives the same bytes
    assert (form, decoded) == (3, fields)
    assert encode_document(form, decoded) == data


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=40))
def test_arbitrary_bytes_decode_or_are_refused_with_a_decode_error(data):
    # given any bytes
    try:
        fields = decode_fields(data)
    except DecodeError:
        return
    # then what decodes and is accepted by the encoder writes back to valid TLV that reads the same
    try:
        again = encode_fields(fields)
    except InvalidDocument:
        return  # e.g. a non-minimal VLN that no longer fits, or a fixed string with odd padding
    assert decode_fields(again) == fields


# --- writing a document in pieces ----------------------------------------------------------------------

_any_requisite = st.sampled_from(sorted(TAGS)).flatmap(lambda t: st.tuples(st.just(t), _value(t, 0)))


@settings(max_examples=300, deadline=None)
@given(requisite=_any_requisite)
def test_a_tags_writer_writes_what_the_encoder_writes(requisite):
    # given any value of any known tag, when its writer writes it, then the bytes are the encoder's
    tag, value = requisite
    assert writer(tag)(value) == encode_fields([(tag, value)])


def _fewest_decimals(thousandths: int) -> Decimal:
    value = Decimal(thousandths).scaleb(-3).normalize()
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value


@settings(max_examples=300, deadline=None)
@given(thousandths=st.one_of(st.integers(0, 10**7), st.integers(0, 2**56 - 1), st.sampled_from([1, 10, 2500, 10**15, 10**18])))
def test_a_quantity_in_thousandths_is_written_as_its_decimal_with_the_fewest_decimals(thousandths):
    # given a quantity in thousandths (2500 = 2.5), when written, then the bytes are those of Decimal("2.5")
    assert encode_quantity(thousandths) == encode_fields([(1023, _fewest_decimals(thousandths))])


def test_quantities_are_written_with_their_decimals_as_the_reference_shows():
    assert encode_quantity(2500) == hexbytes("FF 03 02 00  01 19")  # 2.5
    assert encode_quantity(1000) == hexbytes("FF 03 02 00  00 01")  # 1
    assert encode_quantity(1) == hexbytes("FF 03 02 00  03 01")  # 0.001


@pytest.mark.parametrize("thousandths", [-1, True, 2.5, 2**56 + 1])
def test_a_quantity_the_drive_cannot_hold_is_refused_on_1023(thousandths):
    # given a negative, a non-integer or an 8-byte mantissa, when written, then 1023 is named
    with pytest.raises(InvalidDocument) as refused:
        encode_quantity(thousandths)
    assert refused.value.tag == 1023


def test_a_structure_written_from_its_written_children_is_the_one_the_encoder_writes():
    # given the item of the worked example
    children = [(1030, "Товар"), (1079, 12345), (1023, Decimal("1")), (1043, 12345)]
    # when its children are written, then wrapped as 1059, then it is the encoder's 1059
    assert encode_structure(1059, encode_fields(children)) == encode_fields([(1059, children)])


def test_a_structure_too_long_and_a_tag_that_is_no_structure_are_refused():
    with pytest.raises(InvalidDocument) as refused:
        encode_structure(1059, b"\x00" * 1025)
    assert refused.value.tag == 1059 and "at most 1024" in refused.value.reason
    with pytest.raises(InvalidDocument) as refused:
        encode_structure(1030, b"")
    assert refused.value.tag == 1030


def test_a_document_wrapped_from_its_written_requisites_is_the_encoded_document():
    # given the requisites of the worked example, when written and wrapped as form 3, then it is the example
    _, fields = decode_document(WORKED_EXAMPLE)
    assert wrap_document(3, encode_fields(fields)) == WORKED_EXAMPLE == encode_document(3, fields)


def test_an_unknown_form_is_refused_before_its_requisites():
    # given a document of an unknown form whose requisite is refused too, then the form is named
    for write in (lambda: encode_document(99, [(1020, -1)]), lambda: wrap_document(99, b"")):
        with pytest.raises(InvalidDocument, match="unknown document form code 99") as refused:
            write()
        assert refused.value.tag is None


def test_every_character_is_written_in_cp866_as_the_codec_writes_it():
    # given every character of the basic plane, when written as CP866, then as str.encode("cp866") writes it
    def written(write, char):
        try:
            return write(char)
        except UnicodeEncodeError:
            return None

    chars = (chr(code) for code in range(0x10000) if not 0xD800 <= code <= 0xDFFF)
    assert [char for char in chars if written(to_cp866, char) != written(lambda c: c.encode("cp866"), char)] == []
