"""Returned mail and complaints: read them, decide, remember, report.

events.py    the neutral FeedbackEvent every source produces (a mailbox here, an ESP's webhook elsewhere)
parse.py     one returned message -> events: RFC 3464 DSNs, RFC 5965 ARF reports, common bounce texts
mailboxes.py where returned mail waits: a Maildir, an mbox file, an IMAP folder over TLS
record.py    the suppression policy and the `feedback` table: every decision with its evidence
bounces.py   `newsletter bounces`: a mailbox through parse and record, each message once
report.py    `newsletter report ISSUE`: what the mail system said about one issue
"""
