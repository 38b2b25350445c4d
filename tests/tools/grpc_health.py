#!/usr/bin/python3
"""grpc_health.py HOST:PORT [SERVICE] [--timeout SECONDS]

Asks grpc.health.v1.Health/Check (the overall status, or SERVICE's) and prints SERVING,
NOT_SERVING, UNKNOWN, SERVICE_UNKNOWN, DOWN (nothing answers) or the gRPC error code.
Exit status 0 only for SERVING.

Uses Debian's python3-grpcio. Debian ships no grpc_health package, so the two tiny messages
are encoded by hand: HealthCheckRequest{string service = 1}, HealthCheckResponse{enum
status = 1}.
"""
import argparse
import sys

import grpc

STATUS_NAMES = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def encode_request(service: str) -> bytes:
    """HealthCheckRequest: field 1 (string), wire type 2; empty message for the overall check."""
    data = service.encode()
    return b"\x0a" + varint(len(data)) + data if data else b""


def decode_status(message: bytes) -> int:
    """HealthCheckResponse: the varint of field 1 (tag 0x08); 0 (UNKNOWN) when absent."""
    i, status = 0, 0
    while i < len(message):
        tag = message[i]
        i += 1
        if tag & 0x07 != 0:  # only varint fields are expected; stop at anything else
            break
        value, shift = 0, 0
        while i < len(message):
            byte = message[i]
            i += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        if tag >> 3 == 1:
            status = value
    return status


def main() -> int:
    parser = argparse.ArgumentParser(description="gRPC health check")
    parser.add_argument("target", help="HOST:PORT")
    parser.add_argument("service", nargs="?", default="", help="service name (default: overall)")
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args()
    # Never route a loopback health check through an http_proxy from the environment.
    options = [("grpc.enable_http_proxy", 0)]
    try:
        with grpc.insecure_channel(args.target, options=options) as channel:
            check = channel.unary_unary(
                "/grpc.health.v1.Health/Check",
                request_serializer=(lambda _: b"") if not args.service else encode_request,
                response_deserializer=lambda b: b)
            reply = check(args.service, timeout=args.timeout)
    except grpc.RpcError as e:
        code = e.code()
        print("DOWN" if code in (grpc.StatusCode.UNAVAILABLE,
                                 grpc.StatusCode.DEADLINE_EXCEEDED) else code.name)
        return 1
    status = decode_status(reply)
    print(STATUS_NAMES.get(status, str(status)))
    return 0 if status == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
