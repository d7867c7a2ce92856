"""Personal data at the edge: what the extractors keep of a person, and how.

Applicants' names and phone numbers are never written by the platform (dropped as each
page arrives, before dlt writes anything to disk). An applicant's ID number (CCCD) is
replaced at extraction by an HMAC-SHA256 keyed with ``CCHC_PII_KEY``: the same person links
across dossiers, and since the key is never part of SQL text, dbt's compiled SQL, manifest,
logs and docs cannot reveal it. (A plain salted hash of a 12-digit number is reversible in
minutes by anyone who sees the salt; the key stays in the environment of the extraction.)

The key must not change once data is loaded: hashes made with another key do not link.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

from .credentials import secret

PII_KEY_VARIABLE = "CCHC_PII_KEY"


def pii_key() -> bytes:
    """The HMAC key (production refuses a missing or demo key)."""
    return secret(PII_KEY_VARIABLE).encode("utf-8")


def pseudonymise(value: object, key: bytes) -> str | None:
    """Hex HMAC-SHA256 of the NFC, trimmed identifier; None for an empty one."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value)).strip()
    if not text:
        return None
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
