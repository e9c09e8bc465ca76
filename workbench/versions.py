"""Versions of the tool and the forensic libraries it runs on (recorded in custody and reports)."""

from __future__ import annotations

import platform
from functools import cache
from importlib.metadata import PackageNotFoundError, version

from workbench import __version__


def _dist(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


@cache
def library_versions() -> dict[str, str]:
    """libtsk, libewf, yara, yara-x, libmagic, dfvfs and Python, as the running process sees them."""
    out: dict[str, str] = {"workbench": __version__, "python": platform.python_version()}
    try:
        import pytsk3

        out["libtsk"] = pytsk3.TSK_VERSION_STR
    except ImportError:
        out["libtsk"] = "not installed"
    try:
        import pyewf

        out["libewf"] = pyewf.get_version()
    except ImportError:
        out["libewf"] = "not installed"
    try:
        import yara

        out["yara"] = yara.__version__
    except ImportError:
        out["yara"] = "not installed"
    out["yara-x"] = _dist("yara-x")
    try:
        import magic

        raw = magic.version()
        out["libmagic"] = f"{raw // 100}.{raw % 100}"
    except (ImportError, AttributeError):
        out["libmagic"] = "not installed"
    out["dfvfs"] = _dist("dfvfs")
    return out
