"""Password and PIN hashing with argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified when a user is unknown, so a wrong e-mail costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches; an empty or broken hash never matches."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


# A cashier's PIN is checked on the register, offline, against each cashier of the point in turn.
# A PIN of 4 to 6 digits has at most a million values: a costly hash buys no safety there, only a
# slow sign-in (0.3 s a cashier with the defaults). PINs get a light profile: about 20 ms a check.
_pin_hasher = PasswordHasher(time_cost=2, memory_cost=8192, parallelism=1)


def hash_pin(pin: str) -> str:
    return _pin_hasher.hash(pin)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
