"""The subscription service (`newsletter serve`): double opt-in sign-up, one-click unsubscribe.

app.py (the Flask app) · views.py (its pages, a Blueprint) · webhooks.py (SES events, a
Blueprint) · forms.py (strict input) · csrf.py (token or trusted Origin) · ratelimit.py
(per-client token buckets) · confirmation.py (the confirmation mail and its token) · mailer.py
(the mail queue) · pages.py (localized templates/service/) · settings.py ([service] in
newsletter.toml) · server.py (threaded server, tokens kept out of logs) · wsgi.py
(`gunicorn 'newsletter.service.wsgi:app'`). The command is newsletter/cli/serve.py.
"""
