"""The server's secret key: SECRET_KEY, or one generated once and kept under var/."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from pydantic import SecretStr

DEFAULT_PATH = Path("var/secret_key")
_BYTES = 32


def load_secret_key(configured: SecretStr | None, *, path: Path = DEFAULT_PATH) -> bytes:
    """The configured key, else the one in `path`, else a new random one written there.

    Several server processes may start at once: the file is created exclusively, and whoever
    loses that race reads the winner's key, so every process hashes with the same key.
    """
    if configured is not None and configured.get_secret_value():
        return configured.get_secret_value().encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        _create(path)
    key = path.read_text(encoding="ascii").strip()
    if not key:
        raise RuntimeError(f"{path} is empty: delete it, or set SECRET_KEY")
    return key.encode("ascii")


def _create(path: Path) -> None:
    # Written whole to a private file first, then linked into place: a process reading the
    # key never sees half of it, and a second process's link fails instead of replacing it.
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as draft_file:
            draft_file.write(secrets.token_hex(_BYTES))
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
    finally:
        draft.unlink(missing_ok=True)
