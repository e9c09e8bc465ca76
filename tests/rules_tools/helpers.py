"""Builders of small rule packs in a temporary directory for the rule-tool tests."""

from __future__ import annotations

from pathlib import Path

META = """    meta:
        author = "isop-workbench"
        description = "test rule"
        date = "2024-06-01"
        version = "1"
        artefact = "yara.hit"
"""


def rule(name: str, condition: str, strings: str = "", *, meta: str = META, head: str = "rule") -> str:
    """Source of one rule with the required meta (unless ``meta`` says otherwise)."""
    body = f"{head} {name}\n{{\n{meta}"
    if strings:
        body += "    strings:\n" + "".join(f"        {line}\n" for line in strings.strip().splitlines())
    return body + f"    condition:\n        {condition}\n}}\n"


def write_pack(
    root: Path,
    name: str,
    source: str,
    *,
    positives: dict[str, bytes] | None = None,
    negatives: dict[str, bytes] | None = None,
    extra: dict[str, str | bytes] | None = None,
) -> Path:
    """A pack folder ``root/name`` with ``name.yar`` holding ``source`` and the given samples."""
    pack = root / name
    pack.mkdir(parents=True, exist_ok=True)
    (pack / f"{name}.yar").write_text(source, encoding="utf-8")
    for polarity, samples in (("positive", positives), ("negative", negatives)):
        for file_name, data in (samples or {}).items():
            path = pack / "samples" / polarity / file_name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    for relative, content in (extra or {}).items():
        path = pack / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return pack
