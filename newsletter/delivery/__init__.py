"""Everything that SENDS: subscribers, the per-recipient ledger, transports, and the send run.

subscribers.py (the list) · ledger.py (who got which issue) · personalize.py (one message per
recipient from the built email) · tokens.py (signed unsubscribe links) · transports.py (outbox,
SMTP) · signing.py (DKIM) · send.py (the run) · cli.py (`newsletter send`, `newsletter subscribers`).
"""
