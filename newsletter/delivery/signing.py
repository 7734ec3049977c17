"""DKIM signatures (dkimpy) for outgoing messages, when [email] dkim_key_file is configured."""

from __future__ import annotations

from pathlib import Path

import dkim

from ..config import Config
from ..errors import NewsletterError

#: Signed so that no relay can alter who it is from, to whom, or how to unsubscribe.
SIGNED_HEADERS = (
    b"From", b"To", b"Subject", b"Date", b"Message-ID", b"Reply-To", b"List-Id",
    b"List-Unsubscribe", b"List-Unsubscribe-Post", b"MIME-Version", b"Content-Type",
)  # fmt: skip


class DkimSigner:
    """Signs a message's bytes with one private key (relaxed/relaxed canonicalization)."""

    def __init__(self, key: bytes, selector: str, domain: str, *, where: str = ""):
        self.key, self.selector, self.domain = key, selector.encode(), domain.encode()
        try:
            self.sign(b"From: a@" + self.domain + b"\r\nSubject: probe\r\n\r\nprobe\r\n")
        except dkim.DKIMException as e:
            raise NewsletterError(f"the DKIM key cannot sign: {e}", path=where or None) from None

    def sign(self, message: bytes) -> bytes:
        """`message` with a DKIM-Signature header in front."""
        present = [h for h in SIGNED_HEADERS if b"\n" + h.lower() + b":" in b"\n" + message.lower()[:8192]]
        signature = dkim.sign(
            message,
            self.selector,
            self.domain,
            self.key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=present,
        )
        return bytes(signature) + message


def signer_for(config: Config) -> DkimSigner | None:
    """The configured signer, or None when no DKIM key is configured."""
    e = config.email
    if not e.dkim_key_file:
        return None
    path = config.path(e.dkim_key_file)
    if not (e.dkim_selector and e.dkim_domain):
        raise NewsletterError("[email] dkim_key_file needs dkim_selector and dkim_domain too", path=str(path))
    try:
        key = Path(path).read_bytes()
    except OSError as e2:
        raise NewsletterError(f"cannot read the DKIM key: {e2.strerror}", path=str(path)) from None
    return DkimSigner(key, e.dkim_selector, e.dkim_domain, where=str(path))
