"""One recipient's message: the built issue's bytes with a signed unsubscribe URL, To and DKIM."""

from __future__ import annotations

import datetime as dt
import time

from ..config import Config
from ..errors import NewsletterError
from ..outputs.built import BuiltIssue
from ..outputs.mime import MessageTemplate, built_template, date_header
from .signing import DkimSigner, signer_for
from .tokens import make_token


class Personalizer:
    """Makes one recipient's message bytes: signed unsubscribe URL, To, Message-ID, DKIM."""

    def __init__(
        self, template: MessageTemplate, unsubscribe_url: str, secret: str, signer: DkimSigner | None = None
    ):
        if "{token}" not in unsubscribe_url:
            raise NewsletterError(
                "[site] unsubscribe_url is not set: unsubscribing by email only is not enough for a "
                "bulk send (one-click unsubscribe, RFC 8058); run `newsletter serve` and set "
                "unsubscribe_url to its address + unsubscribe/{token}"
            )
        self.template = template
        self.unsubscribe_url = unsubscribe_url
        self.secret = secret
        self.signer = signer
        self._date_second, self._date_line = -1, b""

    def url_for(self, address: str) -> str:
        return self.unsubscribe_url.replace("{token}", make_token(self.secret, address))

    def render(self, address: str, name: str) -> bytes:
        """The message as sent now: dated with the time of sending, not the issue's date."""
        data = self.template.render(address, name, self.url_for(address), self._date())
        return self.signer.sign(data) if self.signer else data

    def _date(self) -> bytes:
        second = int(time.time())
        if second != self._date_second:  # one Date line per second, not per message
            self._date_second = second
            self._date_line = date_header(dt.datetime.fromtimestamp(second, dt.UTC))
        return self._date_line


def personalizer_for(
    config: Config, issue: BuiltIssue, *, html: str, text: str, secret: str, subject_prefix: str = ""
) -> Personalizer:
    """The personalizer of `issue`'s built HTML and text, as configured (unsubscribe URL, DKIM)."""
    return Personalizer(
        built_template(config, issue, html, text, subject_prefix=subject_prefix),
        config.site.unsubscribe_url,
        secret,
        signer_for(config),
    )
