"""A previewed content item carried by a chat message (modal metadata, a card's Save button)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime

from content_store.content import NewContent
from domain.networks import Network


def pack_new_content(new: NewContent) -> str:
    """The previewed item as JSON text, to be saved once the content team confirms."""
    data = asdict(new)
    data["captions"] = {network.value: text for network, text in new.captions.items()}
    for key in ("publish_from", "publish_until"):
        data[key] = data[key].isoformat() if data[key] else None
    return json.dumps(data, ensure_ascii=False)


def unpack_new_content(text: str) -> NewContent:
    """The NewContent `pack_new_content` wrote; ValueError, KeyError or TypeError if mangled."""
    data = json.loads(text)
    data["captions"] = {Network(k): v for k, v in data["captions"].items()}
    data["topics"] = tuple(data["topics"])
    for key in ("publish_from", "publish_until"):
        data[key] = datetime.fromisoformat(data[key]) if data[key] else None
    return NewContent(**data)
