"""The Teams app icons, drawn in code: a colour icon (192×192) and an outline icon (32×32).

Teams wants the colour icon on a solid background and the outline icon white on transparent.
A tiny PNG writer (zlib + struct) is enough, so no imaging library is needed.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

Pixel = tuple[int, int, int, int]
BRAND: Pixel = (37, 99, 235, 255)
WHITE: Pixel = (255, 255, 255, 255)
CLEAR: Pixel = (0, 0, 0, 0)


def png(width: int, height: int, pixel: Callable[[int, int], Pixel]) -> bytes:
    """An RGBA PNG of the given size, each pixel asked of `pixel(x, y)`."""
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(rows, 9)),
            _chunk(b"IEND", b""),
        )
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    checksum = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", checksum)


def png_size(data: bytes) -> tuple[int, int]:
    """The (width, height) a PNG declares in its header."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n") or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _arrow(x: float, y: float) -> bool:
    """An upward arrow (a 'boost') in a unit square: a triangle head over a stem."""
    head = 0.18 <= y <= 0.55 and abs(x - 0.5) <= (y - 0.18) * 0.9
    stem = 0.55 <= y <= 0.84 and abs(x - 0.5) <= 0.11
    return head or stem


def colour_icon(size: int = 192) -> bytes:
    """The full-colour icon: a white arrow on the brand colour."""

    def pixel(x: int, y: int) -> Pixel:
        return WHITE if _arrow((x + 0.5) / size, (y + 0.5) / size) else BRAND

    return png(size, size, pixel)


def outline_icon(size: int = 32) -> bytes:
    """The outline icon: the same arrow, white on transparent, as Teams requires."""

    def pixel(x: int, y: int) -> Pixel:
        return WHITE if _arrow((x + 0.5) / size, (y + 0.5) / size) else CLEAR

    return png(size, size, pixel)
