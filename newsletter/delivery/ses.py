"""Amazon SES (API v2) as a transport: each message goes out as raw MIME through `SendEmail`.

The bytes are the ones the SMTP path sends (List-Unsubscribe, List-Unsubscribe-Post, DKIM when
configured), one recipient per call. Credentials, region and endpoint come from boto3's standard
chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an instance or task role;
AWS_DEFAULT_REGION; AWS_ENDPOINT_URL_SESV2): nothing here signs a request by hand.

SES's answers map onto the sender's failure kinds:

- throttling (429 TooManyRequests, "Maximum sending rate exceeded") and 5xx answers are retried
  in the session with exponential backoff; if they persist, a temporary failure that the run
  retries later and a rerun still finds pending: nobody is dropped;
- a connection that cannot be made or breaks is a lost connection; the next session first checks
  that SES answers, and a run that cannot reach it stops with everything left queued;
- `MessageRejected` and other per-message refusals are permanent failures in SES's words;
- the daily quota used up, a paused or suspended account, an unverified sender or missing
  credentials stop the run (TransportFatal): no retry helps, and the rest stays queued.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .transports import ConnectFailure, DeliveryFailure, TransportFatal

#: Answers that mean "slower, please".
THROTTLING = frozenset({"TooManyRequestsException", "Throttling", "ThrottlingException", "SlowDown"})
#: Answers about the account, the sender or the setup: the same for every recipient, so the run stops.
ACCOUNT_PROBLEMS = {
    "AccountSuspendedException": "the SES account is suspended for sending",
    "SendingPausedException": "sending is paused for this SES account or configuration set",
    "MailFromDomainNotVerifiedException": "the sender's MAIL FROM domain is not verified in SES",
    "NotFoundException": "SES does not know a resource the request names (the configuration set?)",
    "AccessDeniedException": "the AWS credentials may not send through SES (ses:SendEmail)",
    "AccessDenied": "the AWS credentials may not send through SES (ses:SendEmail)",
    "UnrecognizedClientException": "AWS does not recognise the access key",
    "InvalidClientTokenId": "AWS does not recognise the access key",
    "SignatureDoesNotMatch": "the AWS secret access key does not match the key id",
    "ExpiredToken": "the AWS session token has expired",
    "ExpiredTokenException": "the AWS session token has expired",
}
CREDENTIALS_HELP = (
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, or run with an instance role)"
)
# SES message tags: ASCII letters, digits, "_" and "-", at most 256 characters.
_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
TAG_ISSUE = "newsletter-issue"
TAG_EDITION = "newsletter-edition"
DAY = dt.timedelta(hours=24)


def tag_value(text: str) -> str:
    """`text` as an SES message tag value: other characters become "_", at most 256 of them."""
    return _TAG_UNSAFE.sub("_", text)[:256] or "_"


@dataclass(frozen=True)
class SendQuota:
    """The account's `SendQuota` from GetAccount; Max24HourSend is -1 for no daily limit."""

    max_send_rate: float
    max_24_hour_send: float
    sent_last_24_hours: float

    @property
    def remaining_today(self) -> float | None:
        """How many more messages the rolling 24-hour window takes (None: unlimited)."""
        if self.max_24_hour_send < 0:
            return None
        return max(0.0, self.max_24_hour_send - self.sent_last_24_hours)


def resume_line(now: dt.datetime | None = None) -> str:
    """When a run stopped by the daily quota can go on: SES counts a rolling 24-hour window, so
    quota frees as the earlier sends age out, all of it 24 hours from now at the latest."""
    at = (now or dt.datetime.now(dt.UTC)) + DAY
    return (
        "the quota frees as the 24-hour window rolls on: rerun `newsletter send` later, "
        f"at the latest after {at:%Y-%m-%d %H:%M} UTC; what was sent is recorded, the rest stays queued"
    )


@dataclass(frozen=True)
class _Answer:
    code: str
    message: str
    status: int

    @property
    def words(self) -> str:
        return " ".join(f"{self.code}: {self.message}".split())[:500]


def _answer(error: Exception) -> _Answer:
    response = getattr(error, "response", None) or {}
    err = response.get("Error", {})
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return _Answer(str(err.get("Code") or type(error).__name__), str(err.get("Message") or ""), status)


class SesTransport:
    """Amazon SES v2 `SendEmail` with raw MIME; one boto3 client shared by every session.

    boto3 clients are thread-safe, so sessions are cheap views on the one client and its pool of
    HTTPS connections. botocore's own retries are off: the retry policy is here, in one place.
    """

    name = "ses"

    def __init__(
        self,
        *,
        configuration_set: str = "",
        client: Any = None,
        retries: int = 5,
        retry_base_delay: float = 0.25,
        retry_max_delay: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.configuration_set = configuration_set
        self.retries, self.retry_base_delay, self.retry_max_delay = retries, retry_base_delay, retry_max_delay
        self.sleep = sleep
        self.tags: tuple[dict[str, str], ...] = ()
        self._client = client
        self._lock = threading.Lock()
        self._unreachable = False  # set by a session whose connection failed; open() checks first
        self._rng = random.Random()

    # -- the client ----------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = _make_client()
            return self._client

    def describe(self) -> str:
        meta = self.client.meta
        where = f"Amazon SES {meta.region_name}"
        if "amazonaws.com" not in meta.endpoint_url:
            where += f" at {meta.endpoint_url}"
        return where + (f", configuration set {self.configuration_set}" if self.configuration_set else "")

    def quota(self) -> SendQuota | None:
        """The account's sending quota (GetAccount), or None when the credentials may not read it."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            q = self.client.get_account()["SendQuota"]
        except ClientError as e:
            a = _answer(e)
            if a.code in ("AccessDeniedException", "AccessDenied"):
                return None
            raise _fatal_or_none(a) or TransportFatal(f"SES GetAccount failed: {a.words}") from None
        except BotoCoreError as e:
            raise _setup_error(e) from None
        return SendQuota(
            float(q.get("MaxSendRate", 0)),
            float(q.get("Max24HourSend", -1)),
            float(q.get("SentLast24Hours", 0)),
        )

    # -- the run -------------------------------------------------------------------------------

    def prepare_send(
        self, issue_id: str, edition: str, planned: int, notice: Callable[[str], None] | None = None
    ) -> float:
        """Tag this run's messages and read the quota: returns SES's maximum send rate (0: none
        known). Raises TransportFatal when the daily quota is used up before the run starts."""
        self.tags = (
            {"Name": TAG_ISSUE, "Value": tag_value(issue_id)},
            {"Name": TAG_EDITION, "Value": tag_value(edition)},
        )
        quota = self.quota()
        if quota is None:
            if notice:
                notice("the AWS credentials may not read the SES quota (ses:GetAccount): "
                       "pacing by [delivery] rate_per_second only")  # fmt: skip
            return 0.0
        remaining = quota.remaining_today
        if remaining is not None and remaining < 1:
            raise TransportFatal(
                f"the SES daily sending quota is used up ({quota.sent_last_24_hours:.0f} of "
                f"{quota.max_24_hour_send:.0f} sent in the last 24 hours); {resume_line()}"
            )
        if remaining is not None and remaining < planned and notice:
            notice(
                f"the SES quota allows {remaining:.0f} more messages in the next 24 hours and "
                f"{planned} are queued: the run stops when the quota is used up; the rest stays queued"
            )
        return quota.max_send_rate

    def open(self) -> SesSession:
        if self._unreachable:
            from botocore.exceptions import BotoCoreError, ClientError

            try:
                self.client.get_account()
            except ClientError:
                pass  # it answered: reachable (GetAccount may simply not be allowed)
            except BotoCoreError as e:
                raise ConnectFailure(f"cannot reach {self.describe()}: {e}") from None
            self._unreachable = False
        return SesSession(self)

    def backoff(self, attempt: int) -> float:
        d = min(self.retry_max_delay, self.retry_base_delay * 2 ** max(0, attempt - 1))
        return d * (0.5 + self._rng.random() / 2)

    def close(self) -> None:
        pass


class SesSession:
    """Sends through the transport's client; `send` answers "Amazon SES: queued as <MessageId>",
    from which the sender records SES's message id (transports.queue_id)."""

    def __init__(self, transport: SesTransport):
        self.transport = transport

    def request(self, sender: str, recipient: str, message: bytes) -> dict[str, Any]:
        t = self.transport
        args: dict[str, Any] = {
            "FromEmailAddress": sender,
            "Destination": {"ToAddresses": [recipient]},
            "Content": {"Raw": {"Data": message}},
        }
        if t.tags:
            args["EmailTags"] = list(t.tags)
        if t.configuration_set:
            args["ConfigurationSetName"] = t.configuration_set
        return args

    def send(self, sender: str, recipient: str, message: bytes) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        t = self.transport
        args = self.request(sender, recipient, message)
        attempt = 0
        while True:
            attempt += 1
            try:
                answer = t.client.send_email(**args)
                return f"Amazon SES: queued as {answer['MessageId']}"  # the ledger keeps the id
            except ClientError as e:
                a = _answer(e)
            except BotoCoreError as e:
                failure = _connection_failure(e)
                if failure is None:
                    raise _setup_error(e) from None
                t._unreachable = True
                raise failure from None
            fatal = _fatal_or_none(a)
            if fatal is not None:
                raise fatal
            if not _retryable(a):
                raise _refusal(a, recipient)
            if attempt > t.retries:
                raise DeliveryFailure(f"{a.words} (after {attempt} tries)")
            t.sleep(t.backoff(attempt))

    def close(self) -> None:
        pass


# --- what SES's answers mean ------------------------------------------------------------------


def _is_daily_quota(a: _Answer) -> bool:
    return "daily message quota" in a.message.lower() or a.code == "LimitExceededException"


def _retryable(a: _Answer) -> bool:
    if "maximum sending rate" in a.message.lower():
        return True
    return a.code in THROTTLING or a.status == 429 or a.status >= 500


def _fatal_or_none(a: _Answer) -> TransportFatal | None:
    """The run must stop: the same answer would come for every recipient."""
    if _is_daily_quota(a):
        return TransportFatal(f"the SES daily sending quota is used up ({a.words}); {resume_line()}")
    if a.code in ACCOUNT_PROBLEMS:
        return TransportFatal(
            f"{ACCOUNT_PROBLEMS[a.code]} ({a.words}); nothing more is sent, the rest stays queued"
        )
    if a.code == "MessageRejected" and "not verified" in a.message.lower():
        # The sender's identity, or (in the SES sandbox) the recipients, are not verified.
        return TransportFatal(
            f"SES refused: {a.words}; verify the sending domain in SES, and leave the sandbox "
            "(request production access) to send to unverified addresses"
        )
    return None


def _refusal(a: _Answer, recipient: str) -> DeliveryFailure:
    """A per-message refusal, kept in SES's words; an address on the suppression list bounces."""
    suppressed = "suppress" in a.message.lower()
    return DeliveryFailure(a.words, permanent=True, recipient_refused=suppressed)


def _connection_failure(e: Exception) -> DeliveryFailure | None:
    from botocore.exceptions import (
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    if isinstance(
        e, EndpointConnectionError | ConnectTimeoutError | ConnectionClosedError | ReadTimeoutError
    ):
        return DeliveryFailure(f"connection to SES failed: {e}", connection_lost=True)
    return None


def _setup_error(e: Exception) -> TransportFatal:
    from botocore.exceptions import NoCredentialsError, NoRegionError, PartialCredentialsError

    if isinstance(e, NoCredentialsError | PartialCredentialsError):
        return TransportFatal(f"no AWS credentials for SES: {CREDENTIALS_HELP}")
    if isinstance(e, NoRegionError):
        return TransportFatal("no AWS region for SES: set AWS_DEFAULT_REGION, e.g. eu-west-1")
    failure = _connection_failure(e)
    if failure is not None:
        return TransportFatal(f"cannot reach Amazon SES: {e}; nothing was sent, rerun when it answers")
    return TransportFatal(f"Amazon SES: {e}")


def _make_client() -> Any:
    """A boto3 `sesv2` client from the standard chain; botocore's retries off (ours are above)."""
    import boto3
    from botocore.config import Config as BotoConfig
    from botocore.exceptions import BotoCoreError

    try:
        return boto3.session.Session().client(
            "sesv2",
            config=BotoConfig(
                retries={"total_max_attempts": 1, "mode": "standard"},
                max_pool_connections=64,  # --connections is at most 64
                connect_timeout=10,
                read_timeout=30,
            ),
        )
    except BotoCoreError as e:
        raise _setup_error(e) from None


__all__ = ["SendQuota", "SesSession", "SesTransport", "resume_line", "tag_value"]
