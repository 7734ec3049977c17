"""POST /webhooks/ses: Amazon SES's bounces, complaints and deliveries, as SNS delivers them.

Set up in SES: a configuration set (`[delivery] ses_configuration_set`) whose event destination
is an SNS topic, subscribed over HTTPS to https://<service>/webhooks/ses, and the topic's ARN in
`[service] sns_topics`. Each verified notification's events go through the same recorder as
the bounces read from a mailbox (feedback/record.py): the `feedback` table keeps the evidence,
and the suppression policy decides. A message that is not SNS's for one of our topics is
answered 403 and logged, without its body.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from sqlalchemy import text

from ..delivery.ses import tag_value
from ..feedback.record import FeedbackLedger, SuppressionPolicy
from ..feedback.ses_events import NotSesEvent, ses_events
from .sns import TEST_HOST_ENV, SnsRefused, SnsVerifier

log = logging.getLogger("newsletter.service.webhooks")
MAX_SNS_BYTES = 512 * 1024  # SNS messages are at most 256 KiB, plus the envelope

webhooks = Blueprint("webhooks", __name__)


def register_webhooks(app: Flask) -> None:
    """Add POST /webhooks/ses to the service app (its `Service` is in app.extensions)."""
    service = app.extensions["newsletter"]
    app.extensions["newsletter.sns"] = SnsVerifier(
        service.settings.sns_topics, test_host=os.environ.get(TEST_HOST_ENV, "")
    )
    app.register_blueprint(webhooks)


def _refuse(reason: str) -> Response:
    log.warning("refused a POST to /webhooks/ses from %s: %s", request.remote_addr, reason)
    resp = jsonify({"error": "forbidden"})
    resp.status_code = 403
    return resp


@webhooks.post("/webhooks/ses")
def ses() -> Response:
    service = current_app.extensions["newsletter"]
    verifier: SnsVerifier = current_app.extensions["newsletter.sns"]
    request.max_content_length = MAX_SNS_BYTES
    try:
        message = verifier.verify(request.get_data(cache=False))
    except SnsRefused as e:
        return _refuse(str(e))
    if message.type == "SubscriptionConfirmation":
        try:
            verifier.confirm(message)
        except SnsRefused as e:
            return _refuse(str(e))
        log.info("confirmed the SNS subscription to %s", message.topic_arn)
        return jsonify({"status": "subscribed"})
    if message.type == "UnsubscribeConfirmation":
        log.warning("SNS says the subscription to %s was removed", message.topic_arn)
        return jsonify({"status": "unsubscribed"})
    with service.subscribers.lease() as subs:
        feedback = FeedbackLedger(Path(), db=subs.db)
        issues = {tag_value(i): i for (i,) in subs.db.execute(text("SELECT issue_id FROM sends"))}
        try:
            events = ses_events(json.loads(message.message), lambda tag: issues.get(tag, ""))
        except (ValueError, NotSesEvent) as e:  # signed by SNS, but not an SES event: nothing to do
            log.warning("an SNS notification on %s is not an SES event: %s", message.topic_arn, e)
            return jsonify({"status": "ignored"})
        decisions = feedback.record(
            events, f"sns:{message.message_id}", SuppressionPolicy.from_config(service.config)
        )
    for d in decisions:
        log.info("SES %s", d.line())
    return jsonify({"status": "recorded", "events": len(decisions)})
