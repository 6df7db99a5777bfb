"""Password hashing with argon2id (libsodium through PyNaCl)."""

from __future__ import annotations

from nacl import exceptions, pwhash

# Verified when the user does not exist, so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = pwhash.argon2id.str(b"no such user")


def hash_password(password: str) -> str:
    return pwhash.argon2id.str(password.encode("utf-8")).decode("ascii")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-time check; ``None`` (no such user, or no password set) is always false."""
    stored = password_hash.encode("ascii") if password_hash else _DUMMY_HASH
    try:
        ok = pwhash.verify(stored, password.encode("utf-8"))
    except (exceptions.InvalidkeyError, exceptions.CryptoError, ValueError):
        ok = False
    return ok and password_hash is not None
