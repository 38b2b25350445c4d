#!/usr/bin/python3
"""SMTP sink for local stacks and tests, on Debian's python3-aiosmtpd:

    smtp_sink.py --port P --dir D [--host 127.0.0.1] [--tls-dir T] [--user U --password W]

Accepts every message and stores it as D/<UTC timestamp>-<n>.eml (the raw bytes the client
sent after DATA, headers included, dot-unstuffed) plus D/<same>.json with the envelope:
{"mail_from": ..., "rcpt_tos": [...], "helo": ..., "peer": ..., "received_at": ...,
"tls": bool, "auth": bool}. The .json is written first and the .eml appears atomically
(rename), so a reader that polls for *.eml always finds a complete message and its sidecar.

STARTTLS is offered with a self-signed certificate generated at the first start into T
(default: the parent of D) with openssl; AUTH PLAIN/LOGIN accepts any credentials unless
--user/--password are given. Neither is required, so plain clients still work.

Test hooks: a recipient whose local part starts with "reject5xx" is refused with 550, one
starting with "tempfail4xx" with 451 (so tests can see permanent and temporary failures).

Logs no address: one line per stored message with its file name only.
"""
import argparse
import asyncio
import datetime
import json
import os
import signal
import ssl
import subprocess
import sys
import warnings

warnings.filterwarnings("ignore", message="Session.login_data")

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

HOSTNAME = "stellenwerk-smtp-sink"


def ensure_certificate(tls_dir: str):
    os.makedirs(tls_dir, exist_ok=True)
    cert = os.path.join(tls_dir, "smtp-sink.crt")
    key = os.path.join(tls_dir, "smtp-sink.key")
    if not (os.path.exists(cert) and os.path.exists(key)):
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
             "-out", cert, "-days", "825", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx, cert


class Sink:
    def __init__(self, out_dir: str):
        self.out_dir = out_dir
        self.count = 0

    def store(self, envelope: dict, data: bytes) -> str:
        self.count += 1
        now = datetime.datetime.now(datetime.timezone.utc)
        stem = os.path.join(self.out_dir,
                            f"{now.strftime('%Y%m%dT%H%M%S.%fZ')}-{os.getpid()}-{self.count:06d}")
        envelope = dict(envelope, received_at=now.isoformat())
        with open(stem + ".json", "w", encoding="utf-8") as f:
            json.dump(envelope, f, ensure_ascii=False)
        with open(stem + ".eml.tmp", "wb") as f:
            f.write(data)
        os.rename(stem + ".eml.tmp", stem + ".eml")
        return stem + ".eml"

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject5xx"):
            return "550 5.1.1 mailbox unavailable (sink test hook)"
        if local.startswith("tempfail4xx"):
            return "451 4.3.0 try again later (sink test hook)"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 ok"

    async def handle_DATA(self, server, session, envelope):
        peer = session.peer
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        path = self.store({"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                           "helo": session.host_name,
                           "peer": f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer),
                           "tls": session.ssl is not None,
                           "auth": bool(session.authenticated)}, data)
        print(f"stored {os.path.basename(path)}", flush=True)
        return f"250 2.0.0 ok: queued as {os.path.basename(path)}"


def make_authenticator(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        if user is None:
            return AuthResult(success=True)
        ok = auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok)
    return authenticate


async def main() -> int:
    parser = argparse.ArgumentParser(description="SMTP sink that stores every message as a file")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--tls-dir", default=None)
    parser.add_argument("--user", default=None)
    parser.add_argument("--password", default=None)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    tls_dir = args.tls_dir or os.path.dirname(os.path.abspath(args.dir))
    tls_context, cert = ensure_certificate(tls_dir)
    sink = Sink(args.dir)
    authenticator = make_authenticator(args.user, args.password)

    def factory():
        return SMTP(sink, hostname=HOSTNAME, ident="stellenwerk smtp sink",
                    tls_context=tls_context, require_starttls=False,
                    authenticator=authenticator, auth_required=False, auth_require_tls=False,
                    decode_data=False, enable_SMTPUTF8=True, data_size_limit=104857600)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, args.host, args.port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"smtp sink listening on {args.host}:{args.port} (STARTTLS cert {cert}), "
          f"storing in {args.dir}", flush=True)
    async with server:
        await stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
