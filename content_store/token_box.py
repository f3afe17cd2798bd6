"""Encryption at rest for connected accounts' tokens: Fernet keys, the first one encrypting."""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Binds derived keys to this one use: the same SECRET_KEY also keys the erasure hashes.
_PURPOSE = b"socialboost connected-account tokens v1"


class TokenUnreadable(Exception):
    """A stored token no key can open (the key was changed without keeping the old one)."""


def derive_key(secret: bytes) -> bytes:
    """A Fernet key (url-safe base64 of 32 bytes) derived from any secret with HKDF-SHA256."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(secret)
    return base64.urlsafe_b64encode(raw)


def _as_key(secret: str) -> bytes:
    """A listed key: a Fernet key as it is, anything else derived."""
    candidate = secret.strip().encode("ascii", "replace")
    try:
        Fernet(candidate)
    except ValueError:
        return derive_key(secret.strip().encode("utf-8"))
    return candidate


class TokenBox:
    """Encrypts with the first key, decrypts with any: rotation is adding a key in front."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("a token box needs at least one key")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    @classmethod
    def from_settings(cls, *, listed: str, secret_key: bytes) -> TokenBox:
        """TOKEN_ENCRYPTION_KEY's comma-separated keys (first encrypts), then SECRET_KEY's.

        The key derived from SECRET_KEY always reads, so tokens stored before
        TOKEN_ENCRYPTION_KEY was set stay readable until they are rotated.
        """
        keys = [_as_key(part) for part in listed.split(",") if part.strip()]
        if secret_key:
            keys.append(derive_key(secret_key))
        return cls(list(dict.fromkeys(keys)))

    def seal(self, token: str) -> bytes:
        """The token encrypted (and authenticated) with the first key."""
        return self._fernet.encrypt(token.encode("utf-8"))

    def open(self, sealed: bytes) -> str:
        """The token; TokenUnreadable when no key opens it."""
        try:
            return self._fernet.decrypt(bytes(sealed)).decode("utf-8")
        except InvalidToken:
            raise TokenUnreadable("no configured key opens this token") from None

    def rotate(self, sealed: bytes) -> bytes:
        """The token re-encrypted with the first key."""
        try:
            return self._fernet.rotate(bytes(sealed))
        except InvalidToken:
            raise TokenUnreadable("no configured key opens this token") from None

    def __repr__(self) -> str:
        # Never show keys, even in a debugger or a log of an object graph.
        return "TokenBox(<keys hidden>)"
