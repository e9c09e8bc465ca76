"""Shell history files: bash (``#<epoch>`` stamp lines when HISTTIMEFORMAT was set) and zsh
(extended history ``: <epoch>:<duration>;command``, multi-line commands continued with ``\\``).

zsh "metafies" bytes ≥ 0x80 in its history file (0x83 followed by the byte XOR 0x20); they are
restored before decoding.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO

from workbench.parsers.syslog import MAX_RAW_CHARS, cap, iter_text_lines

MAX_COMMAND_CHARS = 65536  # a multi-line zsh command is kept up to this many characters
MAX_EPOCH = 253402300799  # 9999-12-31T23:59:59Z

_BASH_STAMP = re.compile(r"#(\d{9,11})\s*")
_ZSH_ENTRY = re.compile(r": {0,2}(\d{1,11}):(\d{1,10});(.*)", re.DOTALL)
_ZSH_META = 0x83
_META_BYTE = bytes([_ZSH_META])
_ZSH_START = re.compile(rb"\s*: {0,2}\d{1,11}:\d{1,10};")


@dataclass(frozen=True)
class HistoryEntry:
    """One command from a shell history file."""

    line: int  # first line of the command
    time: datetime | None  # UTC; None when the history has no stamps
    command: str
    shell: str  # bash | zsh
    duration: int | None = None  # zsh: seconds the command ran
    raw: str = ""


def unmetafy(data: bytes) -> bytes:
    """Undo zsh's history metafication (0x83 escape byte, next byte XOR 0x20)."""
    if bytes([_ZSH_META]) not in data:
        return data
    out = bytearray()
    escape = False
    for byte in data:
        if escape:
            out.append(byte ^ 0x20)
            escape = False
        elif byte == _ZSH_META:
            escape = True
        else:
            out.append(byte)
    return bytes(out)


def _epoch(text: str) -> datetime | None:
    value = int(text)
    return datetime.fromtimestamp(value, tz=UTC) if 0 < value <= MAX_EPOCH else None


class _HistoryStream:
    """A binary stream with already-read leading bytes put back, optionally unmetafying (zsh)."""

    def __init__(self, head: bytes, stream: BinaryIO, zsh: bool) -> None:
        self._head = head
        self._stream = stream
        self._zsh = zsh
        self._carry = b""

    def read(self, size: int = -1) -> bytes:
        """Up to about ``size`` bytes (the head first), unmetafied for zsh."""
        data, self._head = self._head, b""
        if not data:
            data = self._stream.read(size)
        if not self._zsh:
            return data
        data, self._carry = self._carry + data, b""
        if data.endswith(_META_BYTE) and not data.endswith(_META_BYTE * 2):
            data, self._carry = data[:-1], _META_BYTE  # its partner byte comes with the next read
        return unmetafy(data)


def iter_history(stream: BinaryIO, shell: str | None = None) -> Iterator[HistoryEntry]:
    """Every command of a bash or zsh history (``shell`` None: detected from the first bytes).

    bash: a ``#<epoch>`` line stamps the command lines after it (all of them when the history was
    written with ``lithist``). zsh: each ``: epoch:duration;`` entry, joined over ``\\`` line ends.
    """
    head = stream.read(4096)
    if shell is None:
        shell = "zsh" if _ZSH_START.match(head) else "bash"
    source = _HistoryStream(head, stream, shell == "zsh")
    lines = iter_text_lines(source)
    yield from (_zsh_entries(lines) if shell == "zsh" else _bash_entries(lines))


def _bash_entries(lines: Iterator[tuple[int, str, bool]]) -> Iterator[HistoryEntry]:
    stamp: datetime | None = None
    for number, text, _truncated in lines:
        m = _BASH_STAMP.fullmatch(text)
        if m is not None:
            stamp = _epoch(m.group(1))
        elif text.strip():
            yield HistoryEntry(number, stamp, text[:MAX_COMMAND_CHARS], "bash", None, text[:MAX_RAW_CHARS])


def _zsh_entries(lines: Iterator[tuple[int, str, bool]]) -> Iterator[HistoryEntry]:
    for number, text, _truncated in lines:
        m = _ZSH_ENTRY.fullmatch(text)
        if m is None:
            if text.strip():  # a plain line (history written without EXTENDED_HISTORY)
                yield HistoryEntry(number, None, text[:MAX_COMMAND_CHARS], "zsh", None, text[:MAX_RAW_CHARS])
            continue
        parts = [m.group(3)]
        size = len(parts[0])
        while parts[-1].endswith("\\") and size <= MAX_COMMAND_CHARS:
            parts[-1] = parts[-1][:-1]
            following = next(lines, None)
            if following is None:
                break
            parts.append(following[1])
            size += len(following[1]) + 1
        command = "\n".join(parts)[:MAX_COMMAND_CHARS]
        yield HistoryEntry(number, _epoch(m.group(1)), command, "zsh", int(m.group(2)), cap(text))
