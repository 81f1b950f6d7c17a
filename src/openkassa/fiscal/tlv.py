"""The binary TLV form of ФФД 1.2 documents, exactly as the fiscal drive writes it (reference §1).

Every requisite is `tag (u16 LE) | length (u16 LE) | value`. Values become Python objects by the
tag's `Kind` (see `tags.py`): integers, bools, `Decimal` quantities, naive local `datetime`s, `str`,
`bytes`, and nested `Fields` for STLV. Unknown tags are kept as raw bytes and written back unchanged.

Encoding refuses what the drive would refuse (`InvalidDocument`, naming the tag); decoding refuses
malformed bytes (`DecodeError`, naming the offset). For every `fields` the encoder accepts,
`decode_fields(encode_fields(fields)) == fields`, and for every byte string it produced,
`encode_fields(decode_fields(data)) == data`.

Every known tag has its writer, made once from its spec (`writer(tag)`: headers and one-byte values
precomputed). `encode_structure`, `encode_quantity` and `wrap_document` let a caller write a document
in pieces (documents.py writes each item so); the bytes are those `encode_fields` writes.
"""

from __future__ import annotations

import calendar
import codecs
import encodings.cp866
import struct
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Union

from openkassa.fiscal import unconfirmed
from openkassa.fiscal.errors import DecodeError, InvalidDocument
from openkassa.fiscal.tags import DECODE_MAX_LENGTH, EXACT_BYTES, TAGS, Kind, TagSpec

Value = Union[int, bool, Decimal, datetime, str, bytes, "Fields"]
Fields = list[tuple[int, Value]]
"""Requisites in document order; a tag may repeat (several 1059 items)."""

DOCUMENT_MAX_LENGTH: dict[int, int] = {
    1: 6144, 11: 6144,
    2: 4096, 5: 4096, 6: 4096, 81: 4096,
    3: 32768, 4: 32768, 21: 32768, 31: 32768, 41: 32768, 82: 32768,
    7: 512, 83: 512, 84: 512,
}
"""Maximum value length of a document's outer TLV, by form code (§1.1, coop-fd)."""

_HEADER = struct.Struct("<HH")
_pack_header = _HEADER.pack
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_EPOCH = datetime(1970, 1, 1)
_MAX_TIME = _EPOCH + timedelta(seconds=0xFFFFFFFF)
_ZERO_VLN = b"" if unconfirmed.ZERO_VLN_AS_EMPTY else b"\x00"
_FIXED_PAD = " "
_BYTES = [bytes((n,)) for n in range(256)]
_VLN_DECODE_BYTES = 8  # yandex writes every VLN at full width, 8 bytes (§1.2): accept it


# --- encoding --------------------------------------------------------------------------------


def encode_fields(fields: Fields) -> bytes:
    """The TLV bytes of `fields`, in their order."""
    writers = _WRITERS
    out = []
    for tag, value in fields:
        write = writers.get(tag) if type(tag) is int else None  # a bool or IntEnum tag is no tag
        out.append(_encode_unknown(tag, value) if write is None else write(value))
    return b"".join(out)


def encode_document(form: int, fields: Fields) -> bytes:
    """A whole document: one TLV whose tag is the form code (§3.12) and whose value is `fields`."""
    _document_limit(form)  # an unknown form is refused before its requisites
    return wrap_document(form, encode_fields(fields))


def wrap_document(form: int, value: bytes) -> bytes:
    """A whole document from the TLV bytes of its requisites (`encode_fields`, or pieces of it joined)."""
    limit = _document_limit(form)
    if len(value) > limit:
        raise InvalidDocument(None, f"form {form} document is {len(value)} bytes, at most {limit} allowed")
    return _pack_header(form, len(value)) + value


def _document_limit(form: object) -> int:
    limit = DOCUMENT_MAX_LENGTH.get(form)
    if limit is None:
        raise InvalidDocument(None, f"unknown document form code {form!r}")
    return limit


def writer(tag: int) -> Callable[[Value], bytes]:
    """The function writing one value of `tag` as its whole TLV (header and value), refusing what
    `encode_fields` refuses: `encode_fields([(tag, value)]) == writer(tag)(value)`."""
    return _WRITERS[tag]


def encode_structure(tag: int, children: bytes) -> bytes:
    """The whole TLV of the structure (STLV) `tag` from the TLV bytes of its children, joined:
    `encode_structure(tag, encode_fields(fields)) == encode_fields([(tag, fields)])`."""
    longest = _STRUCTURE_LENGTHS.get(tag)
    if longest is None:
        raise InvalidDocument(tag, f"{tag!r} is not a structure (STLV)")
    length = len(children)
    if length > longest:
        raise _refuse(TAGS[tag], f"{length} bytes, at most {longest} allowed")
    return _pack_header(tag, length) + children


def encode_quantity(thousandths: int) -> bytes:
    """The whole TLV of the quantity 1023 from integer thousandths, with the fewest decimals.

    The bytes are those `encode_fields` writes for the Decimal of the same number with the fewest
    decimals (2500 → Decimal("2.5"): decimals 1, mantissa 25), without making the Decimal.
    """
    if type(thousandths) is not int or thousandths < 0:
        raise _refuse(_QUANTITY, f"expected a whole number of thousandths, got {thousandths!r}")
    mantissa, decimals = thousandths, 3
    while decimals and mantissa % 10 == 0:
        mantissa //= 10
        decimals -= 1
    size = (mantissa.bit_length() + 7) >> 3
    if 0 < size <= _MANTISSA_BYTES:
        return _QUANTITY_STARTS[decimals][size] + mantissa.to_bytes(size, "little")
    value = _BYTES[decimals] + _vln_bytes(_QUANTITY, mantissa, _MANTISSA_BYTES)  # zero, or refused
    return _pack_header(1023, len(value)) + value


_QUANTITY = TAGS[1023]
_MANTISSA_BYTES = (_QUANTITY.max_length or 8) - 1  # one byte of decimals, then the mantissa
_QUANTITY_STARTS = [[_pack_header(1023, 1 + size) + _BYTES[decimals] for size in range(_MANTISSA_BYTES + 1)]
                    for decimals in range(4)]
"""The header and the decimals byte of 1023, by decimals and the size of the mantissa."""
_STRUCTURE_LENGTHS = {tag: spec.max_length or 0xFFFF for tag, spec in TAGS.items() if spec.kind is Kind.STLV}


def to_cp866(text: str) -> bytes:
    """`text.encode("cp866")`, several times faster: the codec's encoding table is a dict, read once per
    character; `charmap_build` makes the compact table other 8-bit codecs use. Same bytes, and the same
    UnicodeEncodeError position for a character CP866 lacks."""
    return _charmap_encode(text, "strict", _CP866_TABLE)[0]


_charmap_encode = codecs.charmap_encode
_CP866_TABLE = codecs.charmap_build(encodings.cp866.decoding_table)


def _encode_unknown(tag: object, value: object) -> bytes:
    """The whole TLV of a tag this library does not know: its value must be the raw bytes."""
    if type(tag) is not int or not 0 <= tag <= 0xFFFF:
        raise InvalidDocument(None, f"tag {tag!r} is not a number 0…65535")
    if not isinstance(value, bytes):
        raise InvalidDocument(tag, f"unknown tag: its value must be raw bytes, not {type(value).__name__}")
    return _frame(tag, value)


def _frame(tag: int, value: bytes) -> bytes:
    """One TLV: the header, then the value."""
    if len(value) > 0xFFFF:
        raise InvalidDocument(tag, f"value of {len(value)} bytes does not fit a TLV (at most 65535)")
    return _pack_header(tag, len(value)) + value


def _refuse(spec: TagSpec, reason: str) -> InvalidDocument:
    return InvalidDocument(spec.number, f"{spec.number} ({spec.name}): {reason}")


def _int(spec: TagSpec, value: object) -> int:
    if type(value) is not int:  # bool is an int subclass, and not a number here
        raise _refuse(spec, f"expected an integer, got {type(value).__name__} {value!r}")
    if value < 0:
        raise _refuse(spec, f"{value} is negative")
    return value


def _encode_byte(spec: TagSpec, value: object) -> bytes:
    n = _int(spec, value)
    if n > 0xFF:
        raise _refuse(spec, f"{n} does not fit one byte (at most 255)")
    return bytes((n,))


def _encode_bool(spec: TagSpec, value: object) -> bytes:
    if type(value) is not bool:
        raise _refuse(spec, f"expected True or False, got {value!r}")
    return b"\x01" if value else b"\x00"


def _encode_u16(spec: TagSpec, value: object) -> bytes:
    n = _int(spec, value)
    if n > 0xFFFF:
        raise _refuse(spec, f"{n} does not fit U16 (at most 65535)")
    return _U16.pack(n)


def _encode_u32(spec: TagSpec, value: object) -> bytes:
    n = _int(spec, value)
    if n > 0xFFFFFFFF:
        raise _refuse(spec, f"{n} does not fit U32 (at most 4294967295)")
    return _U32.pack(n)


def _vln_bytes(spec: TagSpec, n: int, max_bytes: int) -> bytes:
    if n == 0:
        return _ZERO_VLN
    size = (n.bit_length() + 7) // 8
    if size > max_bytes:
        raise _refuse(spec, f"{n} needs {size} bytes, at most {max_bytes} allowed (largest {256**max_bytes - 1})")
    return n.to_bytes(size, "little")


def _encode_vln(spec: TagSpec, value: object) -> bytes:
    return _vln_bytes(spec, _int(spec, value), spec.max_length or 8)


def _encode_fvln(spec: TagSpec, value: object) -> bytes:
    if not isinstance(value, Decimal):
        raise _refuse(spec, f"expected a Decimal, got {type(value).__name__} {value!r}")
    if not value.is_finite():
        raise _refuse(spec, f"{value} is not a number")
    if value < 0:
        raise _refuse(spec, f"{value} is negative")
    _, digits, exponent = value.as_tuple()
    if exponent >= 0:  # Decimal("1E+2"): an integer, written with no decimals
        decimals, mantissa = 0, int(value)
    else:
        decimals, mantissa = -exponent, int("".join(map(str, digits)))
    if decimals > 0xFF:
        raise _refuse(spec, f"{value} has {decimals} decimals, at most 255 can be written")
    return bytes((decimals,)) + _vln_bytes(spec, mantissa, (spec.max_length or 8) - 1)


def _encode_time(spec: TagSpec, value: object) -> bytes:
    if type(value) is not datetime:
        raise _refuse(spec, f"expected a datetime, got {type(value).__name__} {value!r}")
    if value.tzinfo is not None:
        raise _refuse(spec, f"{value} has a time zone; write the naive local time of the place of settlement")
    if value.microsecond:
        raise _refuse(spec, f"{value} has fractions of a second; UnixTime holds whole seconds")
    if not _EPOCH <= value <= _MAX_TIME:
        raise _refuse(spec, f"{value} is outside 1970-01-01 … {_MAX_TIME}")
    return _U32.pack(calendar.timegm(value.timetuple()))


def _cp866(spec: TagSpec, value: object) -> bytes:
    if not isinstance(value, str):
        raise _refuse(spec, f"expected a string, got {type(value).__name__} {value!r}")
    try:
        return to_cp866(value)
    except UnicodeEncodeError as exc:
        char = value[exc.start]
        raise _refuse(
            spec, f"character {char!r} (U+{ord(char):04X}) at position {exc.start} is not in CP866"
        ) from None


def _encode_string(spec: TagSpec, value: object) -> bytes:
    data = _cp866(spec, value)
    if spec.max_length is not None and len(data) > spec.max_length:
        raise _refuse(spec, f"{len(data)} characters, at most {spec.max_length} allowed")
    return data


def _encode_fixed_string(spec: TagSpec, value: object) -> bytes:
    data = _cp866(spec, value)
    size = spec.max_length or 0
    if len(data) > size:
        raise _refuse(spec, f"{len(data)} characters, exactly {size} (space-padded) allowed")
    if data.endswith(b" "):
        # the padding is stripped when reading, so a trailing space could not be read back
        raise _refuse(spec, f"{value!r} ends with a space; the padding is added here")
    return data.ljust(size, b" ")


def _encode_bytes(spec: TagSpec, value: object) -> bytes:
    if not isinstance(value, bytes):
        raise _refuse(spec, f"expected bytes, got {type(value).__name__}")
    if spec.number in EXACT_BYTES and len(value) != spec.max_length:
        raise _refuse(spec, f"{len(value)} bytes, exactly {spec.max_length} required")
    if spec.max_length is not None and len(value) > spec.max_length:
        raise _refuse(spec, f"{len(value)} bytes, at most {spec.max_length} allowed")
    return value


def _encode_stlv(spec: TagSpec, value: object) -> bytes:
    if not isinstance(value, list):
        raise _refuse(spec, f"expected a list of (tag, value) requisites, got {type(value).__name__}")
    data = encode_fields(value)
    if spec.max_length is not None and len(data) > spec.max_length:
        raise _refuse(spec, f"{len(data)} bytes, at most {spec.max_length} allowed")
    return data


_ENCODERS: dict[Kind, Callable[[TagSpec, object], bytes]] = {
    Kind.BYTE: _encode_byte,
    Kind.MASK8: _encode_byte,
    Kind.BOOL: _encode_bool,
    Kind.U16: _encode_u16,
    Kind.U32: _encode_u32,
    Kind.MASK32: _encode_u32,
    Kind.VLN: _encode_vln,
    Kind.FVLN: _encode_fvln,
    Kind.TIME: _encode_time,
    Kind.STRING: _encode_string,
    Kind.FIXED_STRING: _encode_fixed_string,
    Kind.BYTES: _encode_bytes,
    Kind.STLV: _encode_stlv,
}


_QUANTITY_MIN, _QUANTITY_MAX = Decimal(0), Decimal(10**9)  # mantissa < 10^12 fits the 7 bytes of 1023
_SCALE = [Decimal(10**n) for n in range(4)]


def _writer(spec: TagSpec) -> Callable[[Value], bytes]:
    """The function writing `spec`'s values as whole TLVs: the common values of a receipt (money,
    small numbers, text, items) with what is precomputed here, once per tag (headers, whole TLVs of
    one-byte values); anything else, and every value that is refused, through its kind's function in
    `_ENCODERS`."""
    tag, kind, encode = spec.number, spec.kind, _ENCODERS[spec.kind]

    def general(value: object) -> bytes:
        return _frame(tag, encode(spec, value))

    if kind is Kind.VLN:
        size_max = spec.max_length or 8
        below = 256**size_max
        headers = [_pack_header(tag, size) for size in range(size_max + 1)]

        def write_vln(value: object) -> bytes:
            if type(value) is int and 0 < value < below:
                size = (value.bit_length() + 7) >> 3
                return headers[size] + value.to_bytes(size, "little")
            return general(value)  # zero (written as _ZERO_VLN), or refused

        return write_vln

    if kind is Kind.BYTE or kind is Kind.MASK8:
        whole = [_pack_header(tag, 1) + _BYTES[n] for n in range(256)]

        def write_byte(value: object) -> bytes:
            if type(value) is int and 0 <= value <= 0xFF:
                return whole[value]
            return general(value)

        return write_byte

    if kind is Kind.BOOL:
        flags = {True: _pack_header(tag, 1) + b"\x01", False: _pack_header(tag, 1) + b"\x00"}

        def write_bool(value: object) -> bytes:
            return flags[value] if type(value) is bool else general(value)

        return write_bool

    if kind is Kind.U32 or kind is Kind.MASK32:
        header = _pack_header(tag, 4)

        def write_u32(value: object) -> bytes:
            if type(value) is int and 0 <= value <= 0xFFFFFFFF:
                return header + _U32.pack(value)
            return general(value)

        return write_u32

    if kind is Kind.STRING:
        longest = 0xFFFF if spec.max_length is None else spec.max_length

        def write_string(value: object) -> bytes:
            if type(value) is str and len(value) <= longest:  # CP866 has one byte per character
                try:
                    data = _charmap_encode(value, "strict", _CP866_TABLE)[0]  # to_cp866, inline
                except UnicodeEncodeError:
                    return general(value)  # refused, naming the character
                return _pack_header(tag, len(data)) + data
            return general(value)

        return write_string

    if kind is Kind.FVLN:

        def write_fvln(value: object) -> bytes:
            if type(value) is Decimal and value.is_finite():
                # a quantity such as 2.500: its exponent (-3..0 here) gives the decimals written
                decimals = -value.as_tuple().exponent
                if 0 <= decimals <= 3 and _QUANTITY_MIN <= value < _QUANTITY_MAX:
                    mantissa = int(value * _SCALE[decimals])
                    data = _BYTES[decimals] + (mantissa.to_bytes((mantissa.bit_length() + 7) >> 3, "little")
                                               if mantissa else _ZERO_VLN)
                    return _pack_header(tag, len(data)) + data
            return general(value)

        return write_fvln

    if kind is Kind.STLV:
        longest = spec.max_length or 0xFFFF

        def write_stlv(value: object) -> bytes:
            if type(value) is list:
                data = encode_fields(value)
                if len(data) > longest:
                    raise _refuse(spec, f"{len(data)} bytes, at most {longest} allowed")
                return _pack_header(tag, len(data)) + data
            return general(value)

        return write_stlv

    return general


_WRITERS: dict[int, Callable[[Value], bytes]] = {tag: _writer(spec) for tag, spec in TAGS.items()}


# --- decoding --------------------------------------------------------------------------------


def decode_fields(data: bytes) -> Fields:
    """The requisites in `data`, a concatenation of TLVs."""
    return _decode_fields(bytes(data), 0, len(data))


def decode_document(data: bytes) -> tuple[int, Fields]:
    """The form code and the requisites of a whole document (one outer TLV, nothing after it)."""
    data = bytes(data)
    if len(data) < 4:
        raise DecodeError(len(data), f"a document needs a 4-byte header, got {len(data)} bytes")
    form, length = _HEADER.unpack_from(data, 0)
    limit = DOCUMENT_MAX_LENGTH.get(form)
    if limit is None:
        raise DecodeError(0, f"unknown document form code {form}")
    if length > limit:
        raise DecodeError(2, f"form {form} document declares {length} bytes, at most {limit} allowed")
    if 4 + length > len(data):
        raise DecodeError(4, f"document declares {length} bytes, only {len(data) - 4} follow")
    if 4 + length < len(data):
        raise DecodeError(4 + length, f"{len(data) - 4 - length} bytes after the end of the document")
    return form, _decode_fields(data, 4, 4 + length)


def _decode_fields(data: bytes, start: int, end: int) -> Fields:
    fields: Fields = []
    offset = start
    while offset < end:
        if end - offset < 4:
            raise DecodeError(offset, f"truncated TLV header: {end - offset} bytes left, 4 needed")
        tag, length = _HEADER.unpack_from(data, offset)
        value_start = offset + 4
        value_end = value_start + length
        if value_end > end:
            raise DecodeError(offset, f"tag {tag} declares {length} bytes, only {end - value_start} follow")
        spec = TAGS.get(tag)
        if spec is None:
            value: Value = data[value_start:value_end]
        else:
            value = _DECODERS[spec.kind](spec, data, value_start, value_end)
        fields.append((tag, value))
        offset = value_end
    return fields


def _malformed(spec: TagSpec, offset: int, reason: str) -> DecodeError:
    return DecodeError(offset, f"tag {spec.number} ({spec.name}): {reason}")


def _accepted(spec: TagSpec) -> int | None:
    return DECODE_MAX_LENGTH.get(spec.number, spec.max_length)


def _decode_byte(spec: TagSpec, data: bytes, start: int, end: int) -> int:
    if end - start > 1:
        raise _malformed(spec, start, f"{end - start} bytes, a byte expected")
    return data[start] if end > start else 0


def _decode_bool(spec: TagSpec, data: bytes, start: int, end: int) -> bool:
    n = _decode_byte(spec, data, start, end)
    if n > 1:
        raise _malformed(spec, start, f"{n} is not a flag (0 or 1)")
    return n == 1


def _decode_u16(spec: TagSpec, data: bytes, start: int, end: int) -> int:
    if end - start == 2:
        return _U16.unpack_from(data, start)[0]
    if end - start == 4:  # yandex writes 1213 as U32 (§1.4)
        return _U32.unpack_from(data, start)[0]
    raise _malformed(spec, start, f"{end - start} bytes, U16 needs 2")


def _decode_u32(spec: TagSpec, data: bytes, start: int, end: int) -> int:
    if end - start != 4:
        raise _malformed(spec, start, f"{end - start} bytes, U32 needs exactly 4")
    return _U32.unpack_from(data, start)[0]


def _decode_vln(spec: TagSpec, data: bytes, start: int, end: int) -> int:
    limit = max(_accepted(spec) or 0, _VLN_DECODE_BYTES)
    if end - start > limit:
        raise _malformed(spec, start, f"{end - start} bytes, VLN of at most {limit} expected")
    return int.from_bytes(data[start:end], "little")


def _decode_fvln(spec: TagSpec, data: bytes, start: int, end: int) -> Decimal:
    limit = _accepted(spec) or 8
    if end == start:
        raise _malformed(spec, start, "empty FVLN: the decimals byte is missing")
    if end - start > limit:
        raise _malformed(spec, start, f"{end - start} bytes, FVLN of at most {limit} expected")
    decimals = data[start]
    mantissa = int.from_bytes(data[start + 1:end], "little")
    return Decimal((0, tuple(int(d) for d in str(mantissa)), -decimals))


def _decode_time(spec: TagSpec, data: bytes, start: int, end: int) -> datetime:
    if end - start != 4:
        raise _malformed(spec, start, f"{end - start} bytes, UnixTime needs exactly 4")
    return _EPOCH + timedelta(seconds=_U32.unpack_from(data, start)[0])


def _decode_string(spec: TagSpec, data: bytes, start: int, end: int) -> str:
    limit = _accepted(spec)
    if limit is not None and end - start > limit:
        raise _malformed(spec, start, f"{end - start} bytes, at most {limit} allowed")
    return data[start:end].decode("cp866")  # CP866 maps every byte


def _decode_fixed_string(spec: TagSpec, data: bytes, start: int, end: int) -> str:
    return _decode_string(spec, data, start, end).rstrip(_FIXED_PAD)


def _decode_bytes(spec: TagSpec, data: bytes, start: int, end: int) -> bytes:
    if spec.number in EXACT_BYTES and end - start != spec.max_length:
        raise _malformed(spec, start, f"{end - start} bytes, exactly {spec.max_length} required")
    limit = _accepted(spec)
    if limit is not None and end - start > limit:
        raise _malformed(spec, start, f"{end - start} bytes, at most {limit} allowed")
    return data[start:end]


def _decode_stlv(spec: TagSpec, data: bytes, start: int, end: int) -> Fields:
    limit = _accepted(spec)
    if limit is not None and end - start > limit:
        raise _malformed(spec, start, f"{end - start} bytes, at most {limit} allowed")
    return _decode_fields(data, start, end)


_DECODERS: dict[Kind, Callable[[TagSpec, bytes, int, int], Value]] = {
    Kind.BYTE: _decode_byte,
    Kind.MASK8: _decode_byte,
    Kind.BOOL: _decode_bool,
    Kind.U16: _decode_u16,
    Kind.U32: _decode_u32,
    Kind.MASK32: _decode_u32,
    Kind.VLN: _decode_vln,
    Kind.FVLN: _decode_fvln,
    Kind.TIME: _decode_time,
    Kind.STRING: _decode_string,
    Kind.FIXED_STRING: _decode_fixed_string,
    Kind.BYTES: _decode_bytes,
    Kind.STLV: _decode_stlv,
}
