#!/usr/bin/python3
"""SMTP sink for local stacks and tests: smtp_sink.py --port P --dir D [--host 127.0.0.1]

Accepts every message and stores it as D/<UTC timestamp>-<n>.eml (the raw bytes the client
sent after DATA, headers included, dot-unstuffed) plus D/<same>.json with the envelope:
{"mail_from": ..., "rcpt_tos": [...], "helo": ..., "peer": ..., "received_at": ...}.
The .json is written first and the .eml appears atomically (rename), so a reader that
polls for *.eml always finds a complete message and its sidecar.

Standard library only (asyncio): HELO, EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, VRFY and an
AUTH (PLAIN/LOGIN) that accepts any credentials. No TLS: loopback only.
"""
import argparse
import asyncio
import base64
import datetime
import json
import os
import re
import signal
import sys

HOSTNAME = "stellenwerk-smtp-sink"
ADDRESS = re.compile(rb"^\s*(?:FROM|TO)\s*:\s*<?([^<>\s]*)>?", re.IGNORECASE)


class Sink:
    def __init__(self, out_dir: str):
        self.out_dir = out_dir
        self.count = 0

    def store(self, envelope: dict, data: bytes) -> str:
        self.count += 1
        now = datetime.datetime.now(datetime.timezone.utc)
        stem = os.path.join(self.out_dir, f"{now.strftime('%Y%m%dT%H%M%S.%fZ')}-{self.count:06d}")
        envelope = dict(envelope, received_at=now.isoformat())
        with open(stem + ".json", "w", encoding="utf-8") as f:
            json.dump(envelope, f, ensure_ascii=False)
        with open(stem + ".eml.tmp", "wb") as f:
            f.write(data)
        os.rename(stem + ".eml.tmp", stem + ".eml")
        return stem + ".eml"


class Session:
    """One SMTP conversation (RFC 5321, the subset a client such as libcurl uses)."""

    def __init__(self, sink: Sink, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.sink, self.reader, self.writer = sink, reader, writer
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"
        self.helo = None
        self.reset()

    def reset(self):
        self.mail_from = None
        self.rcpt_tos = []

    async def reply(self, *lines: str):
        for i, line in enumerate(lines):
            code, text = line.split(" ", 1)
            sep = "-" if i < len(lines) - 1 else " "
            self.writer.write(f"{code}{sep}{text}\r\n".encode())
        await self.writer.drain()

    async def read_line(self) -> bytes:
        return await self.reader.readline()

    async def read_data(self) -> bytes:
        body = bytearray()
        while True:
            line = await self.read_line()
            if not line:
                raise ConnectionResetError("connection closed during DATA")
            if line in (b".\r\n", b".\n"):
                return bytes(body)
            if line.startswith(b"."):
                line = line[1:]  # dot-unstuffing, RFC 5321 4.5.2
            body += line

    async def auth(self, args: bytes):
        parts = args.split()
        mech = parts[0].upper() if parts else b""
        if mech == b"PLAIN":
            if len(parts) < 2:
                await self.reply("334 ")
                await self.read_line()
        elif mech == b"LOGIN":
            if len(parts) < 2:
                await self.reply("334 " + base64.b64encode(b"Username:").decode())
                await self.read_line()
            await self.reply("334 " + base64.b64encode(b"Password:").decode())
            await self.read_line()
        else:
            await self.reply("504 5.5.4 unrecognised authentication type")
            return
        await self.reply("235 2.7.0 accepted")

    async def run(self):
        await self.reply(f"220 {HOSTNAME} ESMTP ready")
        while True:
            raw = await self.read_line()
            if not raw:
                return
            line = raw.rstrip(b"\r\n")
            verb, _, args = line.partition(b" ")
            verb = verb.upper()
            if verb == b"EHLO":
                self.helo = args.decode("utf-8", "replace")
                self.reset()
                await self.reply(f"250 {HOSTNAME}", "250 8BITMIME", "250 SMTPUTF8",
                                 "250 AUTH PLAIN LOGIN", "250 SIZE 104857600")
            elif verb == b"HELO":
                self.helo = args.decode("utf-8", "replace")
                self.reset()
                await self.reply(f"250 {HOSTNAME}")
            elif verb == b"MAIL":
                m = ADDRESS.match(args)
                if not m:
                    await self.reply("501 5.5.4 syntax: MAIL FROM:<address>")
                    continue
                self.reset()
                self.mail_from = m.group(1).decode("utf-8", "replace")
                await self.reply("250 2.1.0 ok")
            elif verb == b"RCPT":
                m = ADDRESS.match(args)
                if self.mail_from is None:
                    await self.reply("503 5.5.1 MAIL first")
                elif not m:
                    await self.reply("501 5.5.4 syntax: RCPT TO:<address>")
                else:
                    self.rcpt_tos.append(m.group(1).decode("utf-8", "replace"))
                    await self.reply("250 2.1.5 ok")
            elif verb == b"DATA":
                if self.mail_from is None or not self.rcpt_tos:
                    await self.reply("503 5.5.1 MAIL and RCPT first")
                    continue
                await self.reply("354 end data with <CR><LF>.<CR><LF>")
                data = await self.read_data()
                path = self.sink.store({"mail_from": self.mail_from, "rcpt_tos": self.rcpt_tos,
                                        "helo": self.helo, "peer": self.peer}, data)
                print(f"stored {path} from {self.mail_from} to {', '.join(self.rcpt_tos)}",
                      flush=True)
                self.reset()
                await self.reply(f"250 2.0.0 ok: queued as {os.path.basename(path)}")
            elif verb == b"RSET":
                self.reset()
                await self.reply("250 2.0.0 ok")
            elif verb == b"NOOP":
                await self.reply("250 2.0.0 ok")
            elif verb == b"VRFY":
                await self.reply("252 2.1.5 cannot verify, will accept")
            elif verb == b"AUTH":
                await self.auth(args)
            elif verb == b"QUIT":
                await self.reply("221 2.0.0 bye")
                return
            else:
                await self.reply("502 5.5.2 command not implemented")


async def main() -> int:
    parser = argparse.ArgumentParser(description="SMTP sink that stores every message as a file")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    sink = Sink(args.dir)

    async def handle(reader, writer):
        try:
            await Session(sink, reader, writer).run()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ValueError) as e:
            print(f"connection ended: {e!r}", file=sys.stderr, flush=True)
        finally:
            writer.close()

    server = await asyncio.start_server(handle, args.host, args.port, limit=16 * 1024 * 1024)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"smtp sink listening on {args.host}:{args.port}, storing in {args.dir}", flush=True)
    async with server:
        await stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
