"""A private Debian dovecot on loopback for the IMAP tests: IMAPS only, on a free port, with a
self-signed certificate, one user, and everything (config, mail, logs) in a temporary folder."""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import ipaddress
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.measure import free_port, stop

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "bounces", "imap-test-password"


@dataclass(frozen=True)
class ImapServer:
    port: int
    cafile: Path  # the server's certificate: trust it with SSL_CERT_FILE

    def url(self, folder: str = "INBOX") -> str:
        return f"imaps://{USER}@127.0.0.1:{self.port}/{folder}"


def dovecot_available() -> bool:
    return os.access(DOVECOT, os.X_OK)


def _certificate(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@contextlib.contextmanager
def imap_server() -> Iterator[ImapServer]:
    """Run dovecot in the foreground from its own config in a folder of its own; stop it afterwards.

    The folder is not pytest's: dovecot's unprivileged processes must reach into it.
    """
    folder = Path(tempfile.mkdtemp(prefix="newsletter-imap-"))
    folder.chmod(0o755)
    try:
        with _dovecot(folder) as server:
            yield server
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def _dovecot(folder: Path) -> Iterator[ImapServer]:
    cert, key = _certificate(folder)
    port = free_port()
    if os.geteuid() == 0:  # dovecot serves no mail as root: the mail user is nobody then
        mail_user, login_user, internal_user = "nobody", "dovenull", "dovecot"
    else:
        mail_user = login_user = internal_user = getpass.getuser()
    entry = pwd.getpwnam(mail_user)
    home = folder / "home"
    home.mkdir()
    if os.geteuid() == 0:
        os.chown(home, entry.pw_uid, entry.pw_gid)
    (folder / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    config = folder / "dovecot.conf"
    config.write_text(
        f"""base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
auth_mechanisms = plain
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={entry.pw_uid} gid={entry.pw_gid} home={home}
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {port}
    ssl = yes
  }}
}}
"""
    )
    proc = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                log = (folder / "dovecot.log").read_text() if (folder / "dovecot.log").exists() else ""
                err = proc.stderr.read().decode() if proc.stderr and proc.poll() is not None else ""
                raise RuntimeError(f"dovecot did not start: {err} {log[-2000:]}")
            time.sleep(0.1)
        yield ImapServer(port, cert)
    finally:
        stop(proc)
