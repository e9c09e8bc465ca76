"""Strict bencode (BEP 3) decoding without recursion, with the byte span of the top-level `info` dict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.parsers.errors import ParseError

MAX_DEPTH = 64
MAX_INT_DIGITS = 64
MAX_LEN_DIGITS = 12

Bencoded = int | bytes | list[Any] | dict[bytes, Any]


@dataclass(frozen=True)
class Decoded:
    """A decoded value and the [start, end) span of its top-level `info` value, if any."""

    value: Bencoded
    info_span: tuple[int, int] | None


def decode(data: bytes, *, max_depth: int = MAX_DEPTH) -> Bencoded:
    """Decode exactly one bencoded value filling ``data``."""
    return decode_with_info(data, max_depth=max_depth).value


def decode_with_info(data: bytes, *, max_depth: int = MAX_DEPTH) -> Decoded:
    """Decode exactly one bencoded value and find the byte span of the top-level dict's `info` value.

    Rejects bad lengths, leading zeros, `i-0e`, non-string, unsorted or duplicate dict keys,
    nesting deeper than ``max_depth`` and trailing data."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ParseError("bencode input must be bytes")
    buf = bytes(data)
    n = len(buf)
    if n == 0:
        raise ParseError("empty input")
    # Each frame: [container, start offset, pending dict key or None, last key]
    stack: list[list[Any]] = []
    info_span: tuple[int, int] | None = None
    pos = 0
    result: Any = None
    done = False
    while True:
        if pos >= n:
            raise ParseError("unexpected end of data", offset=pos)
        c = buf[pos]
        value: Any
        start = pos
        if c == 0x65:  # 'e' closes the innermost container
            if not stack:
                raise ParseError("unexpected 'e'", offset=pos)
            frame = stack.pop()
            if isinstance(frame[0], dict) and frame[2] is not None:
                raise ParseError("dict key without a value", offset=pos)
            value, start = frame[0], frame[1]
            pos += 1
        elif c == 0x69:  # 'i'
            end = buf.find(b"e", pos + 1, pos + 2 + MAX_INT_DIGITS)
            if end == -1:
                raise ParseError("unterminated or oversized integer", offset=pos)
            value = _parse_int(buf[pos + 1 : end], pos)
            pos = end + 1
        elif 0x30 <= c <= 0x39:
            colon = buf.find(b":", pos, pos + MAX_LEN_DIGITS + 1)
            if colon == -1:
                raise ParseError("bad string length", offset=pos)
            digits = buf[pos:colon]
            if not digits.isdigit() or (len(digits) > 1 and digits[0] == 0x30):
                raise ParseError("bad string length", offset=pos)
            length = int(digits)
            if colon + 1 + length > n:
                raise ParseError("string runs past the end of the data", offset=pos)
            value = buf[colon + 1 : colon + 1 + length]
            pos = colon + 1 + length
        elif c in (0x6C, 0x64):  # 'l' or 'd'
            if len(stack) >= max_depth:
                raise ParseError(f"nesting deeper than {max_depth}", offset=pos)
            stack.append([[] if c == 0x6C else {}, pos, None, None])
            pos += 1
            continue
        else:
            raise ParseError(f"unexpected byte 0x{c:02x}", offset=pos)
        # attach the finished value to its parent
        if not stack:
            result, done = value, True
        else:
            parent = stack[-1]
            container = parent[0]
            if isinstance(container, list):
                container.append(value)
            elif parent[2] is None:
                if not isinstance(value, bytes):
                    raise ParseError("dict key is not a string", offset=start)
                if parent[3] is not None and value <= parent[3]:
                    raise ParseError("dict keys unsorted or duplicated", offset=start)
                parent[2] = value
            else:
                key = parent[2]
                container[key] = value
                parent[3], parent[2] = key, None
                if key == b"info" and len(stack) == 1 and isinstance(value, dict):
                    info_span = (start, pos)
        if done:
            break
    if pos != n:
        raise ParseError("trailing data after the bencoded value", offset=pos)
    return Decoded(result, info_span)


def _parse_int(digits: bytes, offset: int) -> int:
    body = digits[1:] if digits.startswith(b"-") else digits
    if not body or not body.isdigit():
        raise ParseError("bad integer", offset=offset)
    if body[0] == 0x30 and (len(body) > 1 or digits.startswith(b"-")):
        raise ParseError("integer with leading zero or negative zero", offset=offset)
    return int(digits)


def encode(value: Bencoded | str | bool) -> bytes:
    """Bencode a value (dict keys are sorted; str is UTF-8 encoded)."""
    out: list[bytes] = []
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, bytes):
            out.append(b"%d:%s" % (len(item), item))
        elif isinstance(item, str):
            raw = item.encode("utf-8")
            out.append(b"%d:%s" % (len(raw), raw))
        elif isinstance(item, bool | int):
            out.append(b"i%de" % int(item))
        elif isinstance(item, list | tuple):
            out.append(b"l")
            stack.append(_END)
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            keys = {k.encode("utf-8") if isinstance(k, str) else k: v for k, v in item.items()}
            out.append(b"d")
            stack.append(_END)
            for k in sorted(keys, reverse=True):
                stack.append(keys[k])
                stack.append(k)
        elif item is _END:
            out.append(b"e")
        else:
            raise TypeError(f"cannot bencode {type(item).__name__}")
    return b"".join(out)


_END = object()
