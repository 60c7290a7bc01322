"""The callback listener's self-signed certificate: made once per host with the `openssl`
command line, kept under LIVEDATA_DATA_DIR (key 0600), remade only when it nears its end."""

from __future__ import annotations

import fcntl
import ipaddress
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from services.schwab.errors import LoginError

CERT_DAYS = 825
"""Validity; browsers warn about a self-signed certificate whatever its lifetime."""
RENEW_BEFORE_S = 86400
OPENSSL_TIMEOUT = 30.0


def cert_paths(data_dir: str | Path, host: str) -> tuple[Path, Path]:
    """(certificate, key) for `host`: `schwab-callback-127.0.0.1.crt` and `.key`."""
    stem = Path(data_dir) / f"schwab-callback-{host.replace(':', '_')}"
    return stem.with_suffix(".crt"), stem.with_suffix(".key")


def ensure_cert(data_dir: str | Path, host: str) -> tuple[Path, Path]:
    """The certificate and key for `host`, made now if missing or about to expire."""
    cert, key = cert_paths(data_dir, host)
    cert.parent.mkdir(parents=True, exist_ok=True)
    # The admin and the CLI may both start a listener: never pair one's key with the other's cert.
    fd = os.open(cert.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (key.exists() and _still_valid(cert)):
            _generate(host, cert, key)
    return cert, key


def _still_valid(cert: Path) -> bool:
    if not cert.exists():
        return False
    check = ["x509", "-checkend", str(RENEW_BEFORE_S), "-noout", "-in", str(cert)]
    return _openssl(check, strict=False).returncode == 0


def _generate(host: str, cert: Path, key: Path) -> None:
    """A new EC key and certificate, written in a private temp dir, then renamed into place."""
    with tempfile.TemporaryDirectory(dir=cert.parent, prefix=".callback-") as tmp:  # 0700
        new_cert, new_key = Path(tmp) / "cert", Path(tmp) / "key"
        _openssl(
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", str(new_key), "-out", str(new_cert), "-days", str(CERT_DAYS),
             "-subj", "/CN=LiveData Schwab callback",
             "-addext", f"subjectAltName={_san(host)}",
             # CA:FALSE: a user who trusts this certificate to skip the warning trusts it for
             # this host only; it can never sign a certificate for another site.
             "-addext", "basicConstraints=critical,CA:FALSE",
             "-addext", "keyUsage=critical,digitalSignature",
             "-addext", "extendedKeyUsage=serverAuth"]
        )  # fmt: skip
        os.chmod(new_key, 0o600)
        os.replace(new_key, key)
        os.replace(new_cert, cert)


def _san(host: str) -> str:
    try:
        return f"IP:{ipaddress.ip_address(host)}"
    except ValueError:
        return f"DNS:{host}"


def _openssl(args: list[str], strict: bool = True) -> subprocess.CompletedProcess:
    program = shutil.which("openssl")
    if program is None:
        raise LoginError("the callback listener needs the `openssl` command: install openssl")
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [program, *args], capture_output=True, text=True, timeout=OPENSSL_TIMEOUT
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LoginError(f"cannot run openssl for the callback certificate ({exc})") from None
    if strict and done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-1:] or ["no message"]
        raise LoginError(f"openssl could not make the callback certificate: {detail[0]}")
    return done
