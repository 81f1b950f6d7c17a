"""Every fact the ФФД 1.2 reference marks UNCONFIRMED, in one place so it can be corrected.

Each constant names the reference section it comes from.
"""

from __future__ import annotations

# §3.3: tag 1199 values of the rates introduced in 2025–2026 (only third-party code shows them).
VAT_5 = 7
VAT_7 = 8
VAT_5_105 = 9
VAT_7_107 = 10
VAT_22 = 11
VAT_22_122 = 12

# §1.2: a zero VLN is written as one 00 byte (coop-fd writes an empty value; both decode as 0).
ZERO_VLN_AS_EMPTY = False

# §4.1: the first two bytes of the 6-byte fiscal sign 1077; public samples show `xx 04`.
FISCAL_SIGN_PREFIX_BYTE_1 = 0x04

# §5: 1111 (documents in the shift) counts the open and the close reports themselves.
SHIFT_DOCUMENT_COUNT_INCLUDES_REPORTS = True

# §5: after 30 days without an OFD acknowledgement, closing the shift and the drive stay allowed.
CLOSE_ALLOWED_WHEN_OFD_BLOCKED = True

# §5: the FN refuses a document dated earlier than the previous one by more than this many seconds.
TIME_BACKWARDS_TOLERANCE_SECONDS = 300

# §5: 1053 is set when an OFD acknowledgement is missing for longer than this many days.
OFD_TIMEOUT_FLAG_DAYS = 2

# §1.4: maximum lengths where the sources disagree (the value we write).
MAX_LENGTH_1227 = 128
MAX_LENGTH_1260 = 302
MAX_LENGTH_1265 = 256

# §3.4 / §3.5: printed short names of 1212 and 1214 (customary wording, not from the order).
PRINT_ITEM_TYPE_GOODS = "ТОВАР"
PRINT_ITEM_TYPE_SERVICE = "УСЛУГА"

# §2.3 / §2.5: receipt-level VAT requisites for the rates of 2025–2026 (1199 value → tag). The reference
# found none, so their VAT is written only per item (1200); fill this when the tags are known.
RECEIPT_VAT_TAGS_NEW_RATES: dict[int, int] = {}

# §1.4: exact lengths where the sources disagree (the value we write; the larger one is accepted
# when decoding, see tags.DECODE_MAX_LENGTH).
LENGTH_1245 = 2  # coop-fd Str=2; shtrih Str≤32
LENGTH_1308 = 23  # coop-fd Str=23; shtrih Str=33
