"""Everything that SENDS: subscribers, the per-recipient ledger, transports, and the send run.

subscribers.py (the list) · ledger.py (who got which issue) · tokens.py (signed unsubscribe
links) · transports.py (outbox, SMTP) · signing.py (DKIM) · send.py (the run) · cli.py
(`newsletter send`, `newsletter subscribers`). Each recipient's message comes from
`newsletter.outputs.mime`, the encoder the build's message.eml uses too.
"""
