#!/usr/bin/python3
"""An SMTP server for gazette's send tests, built on aiosmtpd (Debian: python3-aiosmtpd).

    /usr/bin/python3 tests/tools/smtp_server.py --dir DIR [--cert PEM --key PEM [--implicit-tls]]
        [--user NAME --password PW] [--smtputf8] [--host 127.0.0.1]

Listens on a free port of HOST (127.0.0.1 by default) and prints `PORT <n>` on stdout once
it accepts connections. With --cert and --key, STARTTLS is offered and required before any
mail command (with --implicit-tls, TLS starts at once instead, as on port 465); with --user
and --password, AUTH (PLAIN, LOGIN; over TLS only) is required and only that pair is
accepted (anything else gets aiosmtpd's `535 5.7.8`). With --smtputf8, SMTPUTF8 (RFC 6531) is
announced and UTF-8 addresses are taken with it.

Each message received is written to DIR as `N.eml` (the bytes as received) beside `N.json`
(`mail_from`, `mail_options`, `rcpt_tos`, `tls`, `auth_user`, `peer`); the .json is written first and the
.eml renamed into place last, so a listed .eml is complete. Runs until SIGTERM or SIGINT.
"""

import argparse
import itertools
import json
import os
import signal
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Dump:
    """Writes every message to the dump directory."""

    def __init__(self, directory):
        self.directory = directory
        self.counter = itertools.count(1)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            n = next(self.counter)
        meta = {
            "mail_from": envelope.mail_from,
            "mail_options": list(envelope.mail_options),
            "rcpt_tos": list(envelope.rcpt_tos),
            "tls": session.ssl is not None or server.transport.get_extra_info("sslcontext") is not None,
            "auth_user": _text(session.auth_data.login)
            if isinstance(session.auth_data, LoginPassword)
            else session.auth_data,
            "peer": list(session.peer) if session.peer else None,
        }
        base = os.path.join(self.directory, str(n))
        with open(base + ".json", "w") as f:
            json.dump(meta, f)
        tmp = os.path.join(self.directory, f".{n}.tmp")
        with open(tmp, "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, base + ".eml")
        return "250 2.0.0 Ok: queued as %d" % n


def _text(b):
    return b.decode("utf-8", "replace") if isinstance(b, bytes) else b


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and _text(auth_data.login) == user
            and _text(auth_data.password) == password
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return check


def free_port(host):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--smtputf8", action="store_true")
    args = p.parse_args()
    if bool(args.cert) != bool(args.key):
        p.error("--cert and --key go together")
    if args.implicit_tls and not args.cert:
        p.error("--implicit-tls needs --cert and --key")
    if bool(args.user) != bool(args.password):
        p.error("--user and --password go together")
    os.makedirs(args.dir, exist_ok=True)

    kwargs = {"enable_SMTPUTF8": args.smtputf8}
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
        if args.implicit_tls:
            kwargs.update(ssl_context=context)
        else:
            kwargs.update(tls_context=context, require_starttls=True)
    if args.user:
        kwargs.update(
            authenticator=authenticator(args.user, args.password),
            auth_required=True,
            # aiosmtpd counts only STARTTLS as TLS: with implicit TLS it would
            # never offer AUTH. The connection is encrypted from its first byte.
            auth_require_tls=not args.implicit_tls,
        )

    controller = None
    for _ in range(20):
        port = free_port(args.host)
        controller = Controller(
            Dump(args.dir), hostname=args.host, port=port, ready_timeout=5, **kwargs
        )
        try:
            controller.start()
            break
        except Exception as e:  # the port was taken meanwhile: pick another
            last = e
            controller = None
    if controller is None:
        print(f"smtp_server.py: cannot listen on {args.host}: {last}", file=sys.stderr)
        return 1

    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    print(f"PORT {controller.port}", flush=True)
    done.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
