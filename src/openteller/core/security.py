"""Password hashing (Argon2id via argon2-cffi) and keyed fingerprints."""

from __future__ import annotations

import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from openteller.settings import Settings


def password_hasher(settings: Settings) -> PasswordHasher:
    """Argon2id with the cost from settings (default: OWASP's 19 MiB, 2 passes, 1 lane)."""
    return PasswordHasher(
        time_cost=settings.password_hash_time_cost,
        memory_cost=settings.password_hash_memory_kib,
        parallelism=1,
    )


def verify_password(hasher: PasswordHasher, stored_hash: str, password: str) -> bool:
    """True when `password` matches; False for a mismatch or an unreadable hash."""
    try:
        return hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


_UNKNOWN_HASHES: dict[tuple[int, int], str] = {}


def verify_unknown(hasher: PasswordHasher, password: str) -> None:
    """Spend one verification on a name that does not exist, so that an unknown name and
    a wrong password take the same time (no username enumeration by timing)."""
    key = (hasher.time_cost, hasher.memory_cost)
    if key not in _UNKNOWN_HASHES:
        _UNKNOWN_HASHES[key] = hasher.hash("unknown user")
    verify_password(hasher, _UNKNOWN_HASHES[key], password)


def fingerprint(secret: str, value: str) -> str:
    """Keyed HMAC-SHA256 of `value`: lets us find a card by its number without storing it."""
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()
