#!/usr/bin/env bash
# Configure and start Debian's postfix (already installed) for the delivery end-to-end test:
# listen on 127.0.0.1:$PORT only, accept mail for newsletter-test.example.org, deliver every recipient into
# one Maildir. Mail to bounce.newsletter-test.example.org (no such user, 5.1.1) and
# full.newsletter-test.example.org (mailbox full, 5.2.2) bounces: postfix returns a real DSN to the
# envelope sender, which lands in the same Maildir when the sender is @newsletter-test.example.org.
# Idempotent: rerunning rewrites the same settings and reloads. Needs root.
#
# Usage (in .ci/run):  eval "$(sudo --preserve-env=SUDO_UID .ci/postfix.sh)"
# Prints `export NEWSLETTER_TEST_POSTFIX_PORT=…` and `export NEWSLETTER_TEST_POSTFIX_MAILDIR=…`
# on stdout; everything else goes to stderr. Mail log: /var/log/postfix-newsletter.log.
# When it started postfix (rather than reloading one already running) it also prints
# `export NEWSLETTER_TEST_POSTFIX_STARTED=1`; `.ci/postfix.sh stop` then stops it again.
set -euo pipefail

if [ "${1:-}" = stop ]; then
  postfix stop >&2 || true
  exit 0
fi

PORT="${NEWSLETTER_TEST_POSTFIX_PORT:-2525}"
DOMAIN="newsletter-test.example.org"
BOUNCING="bounce.$DOMAIN"
FULL="full.$DOMAIN"
BASE="/var/mail/newsletter-test"
MAILDIR="$BASE/Maildir"
LOG="/var/log/postfix-newsletter.log"

if [ "$(id -u)" != 0 ]; then
  echo "postfix.sh: run as root (sudo)" >&2
  exit 1
fi
command -v postconf >/dev/null || { echo "postfix.sh: postfix is not installed (apt-get install postfix)" >&2; exit 1; }

# Mail is owned by the user who ran sudo, so the tests can read and clean it; else by nobody.
OWNER_UID="${SUDO_UID:-}"
OWNER_GID="${SUDO_GID:-}"
if [ -z "$OWNER_UID" ] || [ "$OWNER_UID" = 0 ]; then
  OWNER_UID="$(id -u nobody)"
  OWNER_GID="$(id -g nobody)"
fi

[ -f /etc/postfix/main.cf ] || : > /etc/postfix/main.cf
postconf -e \
  "compatibility_level = 3.6" \
  "myhostname = ci.newsletter-test.invalid" \
  "mydomain = newsletter-test.invalid" \
  "myorigin = \$myhostname" \
  "mydestination = localhost" \
  "inet_interfaces = loopback-only" \
  "inet_protocols = ipv4" \
  "mynetworks = 127.0.0.0/8" \
  "relayhost =" \
  "alias_maps =" \
  "alias_database =" \
  "biff = no" \
  "smtpd_tls_security_level = none" \
  "smtp_tls_security_level = none" \
  "smtpd_banner = \$myhostname ESMTP newsletter-test" \
  "virtual_mailbox_domains = $DOMAIN" \
  "virtual_mailbox_base = $BASE" \
  "virtual_mailbox_maps = static:Maildir/" \
  "virtual_uid_maps = static:$OWNER_UID" \
  "virtual_gid_maps = static:$OWNER_GID" \
  "virtual_minimum_uid = 1" \
  "smtpd_reject_unlisted_recipient = no" \
  "transport_maps = inline:{ {$BOUNCING = error:5.1.1 mailbox does not exist}, {$FULL = error:5.2.2 mailbox full} }" \
  "maillog_file = $LOG"

# Our own listener on $PORT; the default port-25 one is switched off; no chroot (containers
# lack the files a chroot needs).
if postconf -M smtp/inet >/dev/null 2>&1 && [ -n "$(postconf -M smtp/inet 2>/dev/null)" ]; then
  postconf -MX smtp/inet
fi
for old in $(postconf -M 2>/dev/null | awk '$2 == "inet" && $1 ~ /^127\.0\.0\.1:/ {print $1}'); do
  [ "$old" = "127.0.0.1:$PORT" ] || postconf -MX "$old/inet"
done
postconf -M "127.0.0.1:$PORT/inet=127.0.0.1:$PORT inet n - n - - smtpd"
postconf -F '*/*/chroot = n'

mkdir -p "$BASE"
chown "$OWNER_UID:$OWNER_GID" "$BASE"
touch "$LOG"

postfix check >&2
STARTED=""
if postfix status >/dev/null 2>&1; then
  postfix reload >&2
else
  postfix start >&2
  STARTED=1
fi

for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "postfix.sh: postfix listens on 127.0.0.1:$PORT, delivers *@$DOMAIN into $MAILDIR/" >&2
    echo "export NEWSLETTER_TEST_POSTFIX_PORT=$PORT"
    echo "export NEWSLETTER_TEST_POSTFIX_MAILDIR=$MAILDIR"
    echo "export NEWSLETTER_TEST_POSTFIX_DOMAIN=$DOMAIN"
    echo "export NEWSLETTER_TEST_POSTFIX_BOUNCING_DOMAIN=$BOUNCING"
    echo "export NEWSLETTER_TEST_POSTFIX_FULL_DOMAIN=$FULL"
    [ -z "$STARTED" ] || echo "export NEWSLETTER_TEST_POSTFIX_STARTED=1"
    exit 0
  fi
  sleep 0.1
done
echo "postfix.sh: postfix did not start listening on 127.0.0.1:$PORT; see $LOG" >&2
tail -n 20 "$LOG" >&2 || true
exit 1
