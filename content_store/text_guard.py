"""Every statement's text checked before it reaches the database (NUL, lone surrogates).

One check for the whole class: whatever a person typed (captions, titles, guidelines,
disclosure, suggestions, topics, feedback, imported names, ...) and whichever repository
writes it, text the database would refuse is refused as the person's input error instead.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, ExceptionContext

from domain.errors import InvalidInput
from domain.text import require_storable


def install(engine: Engine) -> None:
    """Check the parameters of every statement `engine` runs."""
    event.listen(engine, "before_cursor_execute", _check_parameters)
    event.listen(engine, "handle_error", _unwrap_refusal)


def storable_json(value: Any) -> str:
    """JSON for a JSON column; the strings inside are checked before they are escaped."""
    # json.dumps turns NUL into the six characters \u0000, which the statement check cannot
    # tell from text a person typed, and which PostgreSQL still refuses in jsonb.
    require_storable(value)
    return json.dumps(value)


def _check_parameters(
    _connection: Connection,
    _cursor: Any,
    _statement: str,
    parameters: Any,
    _context: Any,
    _executemany: bool,
) -> None:
    require_storable(parameters)


def _unwrap_refusal(context: ExceptionContext) -> None:
    # SQLAlchemy wraps what a JSON serializer raises in a StatementError; the person's
    # mistake must reach the handlers as the InvalidInput they answer.
    if isinstance(context.original_exception, InvalidInput):
        raise context.original_exception
