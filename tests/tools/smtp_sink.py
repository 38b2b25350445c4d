#!/usr/bin/python3
"""A minimal SMTP sink for local stacks and tests: accepts every message on 127.0.0.1 and
stores it as <dir>/<time>-<n>.eml plus a .json sidecar with the envelope. Standard library
only (asyncio), so it needs no extra package."""
import argparse
import asyncio
import json
import os
import time

counter = 0


async def handle(reader, writer, out_dir):
    global counter
    def send(line):
        writer.write((line + "\r\n").encode())
    send("220 stellenwerk-smtp-sink ready")
    mail_from, rcpts = None, []
    try:
        while True:
            raw = await reader.readline()
            if not raw:
                break
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            cmd = line[:4].upper()
            if cmd in ("HELO", "EHLO"):
                send("250-stellenwerk-smtp-sink" if cmd == "EHLO" else "250 ok")
                if cmd == "EHLO":
                    send("250-8BITMIME")
                    send("250 SIZE 52428800")
            elif cmd == "MAIL":
                mail_from, rcpts = line.split(":", 1)[1].strip(), []
                send("250 ok")
            elif cmd == "RCPT":
                rcpts.append(line.split(":", 1)[1].strip())
                send("250 ok")
            elif cmd == "DATA":
                send("354 end with <CRLF>.<CRLF>")
                await writer.drain()
                body = bytearray()
                while True:
                    chunk = await reader.readline()
                    if not chunk or chunk in (b".\r\n", b".\n"):
                        break
                    if chunk.startswith(b".."):
                        chunk = chunk[1:]  # dot-unstuffing (RFC 5321 4.5.2)
                    body += chunk
                counter += 1
                stem = os.path.join(out_dir, f"{time.time():.6f}-{counter}")
                with open(stem + ".eml.tmp", "wb") as f:
                    f.write(bytes(body))
                with open(stem + ".json", "w") as f:
                    json.dump({"mail_from": mail_from, "rcpt_tos": rcpts}, f)
                os.rename(stem + ".eml.tmp", stem + ".eml")
                send(f"250 ok queued as {counter}")
            elif cmd == "RSET":
                mail_from, rcpts = None, []
                send("250 ok")
            elif cmd == "NOOP":
                send("250 ok")
            elif cmd == "QUIT":
                send("221 bye")
                break
            else:
                send("502 command not implemented")
            await writer.drain()
    finally:
        writer.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    server = await asyncio.start_server(lambda r, w: handle(r, w, args.dir), "127.0.0.1", args.port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
