"""The one error type for input a person or an operator got wrong."""

from __future__ import annotations

from typing import Any


class InvalidInput(ValueError):
    """Malformed or refused input; `code` names the problem for the message catalog.

    `message` is the English text, used when the catalog has no entry `error.<code>`;
    `params` fill the placeholders of both.
    """

    def __init__(self, code: str, message: str, **params: Any) -> None:
        self.code = code
        self.params = params
        self.message = message.format(**params) if params else message
        super().__init__(self.message)
