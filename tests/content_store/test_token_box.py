"""Tokens at rest: sealed with the first key, opened with any, rotated, never shown."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from content_store.token_box import TokenBox, TokenUnreadable, derive_key

TOKEN = "AQX-a-very-secret-linkedin-token"


def test_a_sealed_token_opens_and_does_not_show() -> None:
    box = TokenBox.from_settings(listed="", secret_key=b"server secret")
    sealed = box.seal(TOKEN)
    assert TOKEN.encode() not in sealed
    assert box.open(sealed) == TOKEN
    assert TOKEN not in repr(box) and "server secret" not in repr(box)


def test_rotation_new_key_first_old_keys_still_open_then_rotate() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = TokenBox.from_settings(listed=old, secret_key=b"")
    sealed = before.seal(TOKEN)
    after = TokenBox.from_settings(listed=f"{new},{old}", secret_key=b"")
    assert after.open(sealed) == TOKEN
    rotated = after.rotate(sealed)
    only_new = TokenBox.from_settings(listed=new, secret_key=b"")
    assert only_new.open(rotated) == TOKEN
    with pytest.raises(TokenUnreadable):
        only_new.open(sealed)


def test_tokens_sealed_with_secret_key_stay_readable_once_a_key_is_listed() -> None:
    sealed = TokenBox.from_settings(listed="", secret_key=b"server secret").seal(TOKEN)
    listed = TokenBox.from_settings(listed="any passphrase at all", secret_key=b"server secret")
    assert listed.open(sealed) == TOKEN
    # What the listed box seals, a box without that key cannot open.
    with pytest.raises(TokenUnreadable):
        TokenBox.from_settings(listed="", secret_key=b"server secret").open(listed.seal(TOKEN))


def test_any_secret_is_stretched_into_a_fernet_key() -> None:
    key = derive_key(b"short")
    Fernet(key)  # a valid key
    assert key == derive_key(b"short") != derive_key(b"other")
    with pytest.raises(ValueError):
        TokenBox([])
