"""Keeping API keys out of everything probe writes or prints."""

from collections.abc import Iterable

REDACTED = "[redacted]"

# Shorter values (such as the placeholder sent to servers without auth) are not secrets, and
# replacing them would garble ordinary text.
MIN_SECRET_LENGTH = 8


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of each secret in text with a marker."""
    for secret in secrets:
        if len(secret) >= MIN_SECRET_LENGTH:
            text = text.replace(secret, REDACTED)
    return text
