"""The one error every parser raises for input it cannot parse."""


class ParseError(ValueError):
    """Input that does not follow the format. ``str(err)`` is one line naming the reason."""

    def __init__(self, reason: str, *, line: int | None = None, offset: int | None = None) -> None:
        where = f" (line {line})" if line is not None else f" (offset {offset})" if offset is not None else ""
        super().__init__(f"{reason}{where}")
        self.reason = reason
        self.line = line
        self.offset = offset
