"""One canonical spelling per shared web link, so the same page is stored and counted once."""

from __future__ import annotations

import ipaddress
import re
import string
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

import idna

from domain.errors import InvalidInput

MAX_URL_LENGTH = 2048
_MAX_HOST_LENGTH = 253
_SCHEMES = frozenset({"http", "https"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "_hsenc",
        "_hsmi",
        "ref_src",
        "yclid",
    }
)
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_PATH_SAFE = _UNRESERVED | frozenset("!$&'()*+,;=:@/")
_QUERY_SAFE = _PATH_SAFE | frozenset("?")
_ESCAPE_OR_CHAR = re.compile(r"%[0-9A-Fa-f]{2}|.", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LABEL = re.compile(r"[a-z0-9_-]{1,63}")
_DIGITS = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_OCTAL = re.compile(r"0[0-7]+")
_HEX = re.compile(r"0x[0-9a-f]*")


class _Parts(NamedTuple):
    scheme: str
    host: str
    port: int | None
    path: str
    query: str


def canonicalise_url(url: str) -> str:
    """Return the canonical form of a shared http(s) link, or raise InvalidInput saying why not.

    Lowercases scheme and host, IDNA-encodes the host, drops default ports, the fragment and
    tracking parameters, sorts the query and normalises percent-encoding. Idempotent.
    """
    return _render(_parse(url))


def host_of(url: str) -> str:
    """Return the canonical host of `url` (lowercase, punycode, IPv6 without brackets).

    Refuses exactly the links `canonicalise_url` refuses.
    """
    parts = _parse(url)
    _render(parts)  # same refusals as canonicalise_url, including the length limit
    return parts.host.strip("[]")


def _parse(url: str) -> _Parts:
    text = url.strip()
    _check_text(text)
    try:
        split = urlsplit(text)
    except ValueError as error:
        raise _malformed() from error
    scheme = _scheme(split.scheme)
    if not split.netloc:
        raise InvalidInput(
            "url.no_host", "That link is missing the website name after {scheme}://.", scheme=scheme
        )
    host, port = _host_and_port(split.netloc, scheme=scheme)
    path = _remove_dot_segments(_normalise_escapes(split.path, safe=_PATH_SAFE))
    return _Parts(scheme, host, port, path, _clean_query(split.query))


def _render(parts: _Parts) -> str:
    netloc = parts.host if parts.port is None else f"{parts.host}:{parts.port}"
    query = f"?{parts.query}" if parts.query else ""
    result = f"{parts.scheme}://{netloc}{parts.path}{query}"
    # Encoding can lengthen a link, and the result must stay acceptable to a second pass.
    _check_length(result)
    return result


def _check_text(text: str) -> None:
    if not text:
        raise InvalidInput("url.empty", "Please paste a link; this one is empty.")
    _check_length(text)
    if _CONTROL.search(text) or not _encodable(text):
        raise _malformed()


def _check_length(text: str) -> None:
    if len(text) > MAX_URL_LENGTH:
        raise InvalidInput(
            "url.too_long",
            "That link is {count} characters long; links can be at most {limit}.",
            count=len(text),
            limit=MAX_URL_LENGTH,
        )


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _malformed() -> InvalidInput:
    return InvalidInput(
        "url.malformed", "That isn't a valid web link; please check it and paste it again."
    )


def _bad_host(host: str) -> InvalidInput:
    return InvalidInput(
        "url.bad_host", "The website name in that link ({host}) isn't valid.", host=host
    )


def _scheme(scheme: str) -> str:
    if scheme.lower() not in _SCHEMES:
        raise InvalidInput(
            "url.scheme", "Only web links starting with http:// or https:// can be added."
        )
    return scheme.lower()


def _host_and_port(netloc: str, *, scheme: str) -> tuple[str, int | None]:
    if "@" in netloc:
        raise InvalidInput(
            "url.credentials",
            "Links with a user name or password in them (user:password@…) can't be added; "
            "please share the address without it.",
        )
    host_text, port_text = _split_port(netloc)
    return _canonical_host(host_text, scheme=scheme), _canonical_port(port_text, scheme=scheme)


def _split_port(netloc: str) -> tuple[str, str]:
    if netloc.startswith("["):
        host, bracket, rest = netloc.partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise _malformed()
        return host + bracket, rest[1:]
    if netloc.count(":") > 1:
        raise _bad_host(netloc)  # an IPv6 address must be written in [brackets]
    host, _, port = netloc.partition(":")
    return host, port


def _canonical_port(text: str, *, scheme: str) -> int | None:
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 65536:
        raise InvalidInput(
            "url.bad_port",
            "The port number in that link ({port}) isn't valid; it must be between 1 and 65535.",
            port=text,
        )
    port = int(text)
    return None if port == _DEFAULT_PORTS[scheme] else port


def _canonical_host(text: str, *, scheme: str) -> str:
    if not text:
        raise InvalidInput(
            "url.no_host", "That link is missing the website name after {scheme}://.", scheme=scheme
        )
    if text.startswith("["):
        return _ipv6_literal(text)
    host = _ascii_host(text)
    ipv4 = _legacy_ipv4(host, original=text)
    if ipv4 is not None:
        return str(ipv4)
    labels = host.split(".")
    if len(host) > _MAX_HOST_LENGTH or not all(_LABEL.fullmatch(label) for label in labels):
        raise _bad_host(text)
    return host


def _ipv6_literal(text: str) -> str:
    inner = text[1:-1]
    if "%" in inner:  # zone ids only make sense on the machine that wrote them
        raise _bad_host(text)
    try:
        return f"[{ipaddress.IPv6Address(inner).compressed}]"
    except ValueError as error:
        raise _bad_host(text) from error


def _ascii_host(text: str) -> str:
    try:
        # UTS #46 mapping folds case and look-alike forms (full-width digits, ideographic dots).
        mapped = text.lower() if text.isascii() else idna.uts46_remap(text, std3_rules=False)
        mapped = mapped.removesuffix(".")
        return ".".join(_ascii_label(label) for label in mapped.split("."))
    except ValueError as error:  # idna.IDNAError and UnicodeError are ValueErrors
        raise _bad_host(text) from error


def _ascii_label(label: str) -> str:
    return label if label.isascii() else idna.alabel(label).decode("ascii")


def _legacy_ipv4(host: str, *, original: str) -> ipaddress.IPv4Address | None:
    """Read a host the way browsers and inet_aton do when it ends in a number.

    2130706433, 0x7f.1, 0177.0.0.1 and 127.1 all mean 127.0.0.1; spelling them out stops
    them from slipping past address checks that only understand dotted quads.
    """
    parts = host.split(".")
    if not _is_number(parts[-1]):
        return None
    numbers = [_ipv4_number(part, original=original) for part in parts]
    *leading, last = numbers
    if len(numbers) > 4 or any(n > 255 for n in leading) or last >= 256 ** (5 - len(numbers)):
        raise _bad_host(original)
    return ipaddress.IPv4Address(last + sum(n << (8 * (3 - i)) for i, n in enumerate(leading)))


def _is_number(part: str) -> bool:
    return bool(_DIGITS.fullmatch(part) or _HEX.fullmatch(part))


def _ipv4_number(part: str, *, original: str) -> int:
    if _HEX.fullmatch(part):
        return int(part[2:] or "0", 16)
    if _OCTAL.fullmatch(part):
        return int(part, 8)
    if _DECIMAL.fullmatch(part):
        return int(part)
    raise _bad_host(original)


def _normalise_escapes(text: str, *, safe: frozenset[str]) -> str:
    """Uppercase existing escapes, decode escaped unreserved characters, escape the rest.

    A `%` that doesn't start a valid escape becomes %25, so nothing is ever double-encoded.
    """
    return "".join(
        _normalise_token(match.group(), safe) for match in _ESCAPE_OR_CHAR.finditer(text)
    )


def _normalise_token(token: str, safe: frozenset[str]) -> str:
    if len(token) == 3:
        char = chr(int(token[1:], 16))
        return char if char in _UNRESERVED else token.upper()
    if token in safe:
        return token
    return "".join(f"%{byte:02X}" for byte in token.encode("utf-8"))


def _remove_dot_segments(path: str) -> str:
    """Resolve `.` and `..` segments of an absolute path (RFC 3986 section 5.2.4)."""
    segments = path.split("/")[1:]
    kept: list[str] = []
    for segment in segments:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    trailing_slash = bool(kept) and segments[-1] in (".", "..")
    return "/" + "/".join(kept) + ("/" if trailing_slash else "")


def _clean_query(query: str) -> str:
    pairs = [_normalise_escapes(pair, safe=_QUERY_SAFE) for pair in query.split("&") if pair]
    kept = [pair for pair in pairs if not _is_tracking(pair)]
    # A stable sort keeps repeated keys (?tag=a&tag=b) in the order the site gave them.
    kept.sort(key=_param_name)
    return "&".join(kept)


def _param_name(pair: str) -> str:
    return pair.partition("=")[0]


def _is_tracking(pair: str) -> bool:
    name = unquote(_param_name(pair)).lower()
    return name.startswith("utm_") or name in _TRACKING_PARAMS
