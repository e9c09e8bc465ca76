"""Artefact kinds shared by several plugin families, and small helpers for plugins."""

from __future__ import annotations

from workbench.plugin_api import ArtefactKind, Field, UcoMapping

CREDENTIAL = ArtefactKind(
    "credential",
    "Credential",
    family="credential",
    description="A secret found in evidence: database, panel, mail, SSH, API or tracker credentials.",
    fields=(
        Field("kind", "str", "What it opens: database, panel, mail, ssh, api_key, tracker, ftp …", key=True),
        Field("service", "str", "Host, URL or service it belongs to", key=True),
        Field("username", "str", "User name or key id", key=True),
        Field("secret", "str", "Password, key or hash as found", secret=True, key=True),
        Field("secret_type", "str", "plaintext, crypt-sha512, md5, bcrypt, api-key …"),
        Field("context", "str", "Setting or column it came from"),
    ),
    summary_fields=("kind", "service", "username", "secret", "context"),
    uco=UcoMapping(
        "uco-observable:AccountAuthenticationFacet",
        {"uco-observable:password": "secret", "uco-observable:passwordType": "secret_type"},
    ),
)


def decode_text(data: bytes) -> str:
    """Bytes to text the way evidence files come: UTF-8 (with BOM) or else Latin-1, never failing."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")
