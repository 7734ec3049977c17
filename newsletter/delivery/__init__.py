"""Everything that SENDS: subscribers, the per-recipient ledger, transports, and the send run.

subscribers.py (the list) · ledger.py (who got which issue) · tokens.py (signed unsubscribe
links) · transports.py (outbox, SMTP) · ses.py (Amazon SES) · signing.py (DKIM) · send.py
(find the built issue, send it) · run.py (the dispatcher and its workers) · pacing.py (rate and
hourly cap) · personalize.py (each recipient's message, from `newsletter.outputs.mime`, the
encoder `check` judges a sample message with too). The commands are in newsletter/cli/.
"""
