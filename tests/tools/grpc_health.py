#!/usr/bin/python3
"""grpc_health.py HOST:PORT [SERVICE] — prints SERVING/NOT_SERVING/UNKNOWN/DOWN and exits 0
only for SERVING. Uses Debian's python3-grpcio with a hand-encoded grpc.health.v1 request
(Debian ships no grpc_health package)."""
import sys

import grpc


def encode_request(service: str) -> bytes:
    data = service.encode()
    if not data:
        return b""
    length, out = len(data), bytearray()
    while True:  # varint
        byte = length & 0x7F
        length >>= 7
        out.append(byte | (0x80 if length else 0))
        if not length:
            break
    return b"\x0a" + bytes(out) + data


def main() -> int:
    target = sys.argv[1]
    service = sys.argv[2] if len(sys.argv) > 2 else ""
    names = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}
    try:
        with grpc.insecure_channel(target) as channel:
            check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                        request_serializer=lambda s: encode_request(s),
                                        response_deserializer=lambda b: b)
            reply = check(service, timeout=2)
    except grpc.RpcError as e:
        print("DOWN" if e.code() == grpc.StatusCode.UNAVAILABLE else e.code().name)
        return 1
    status = reply[1] if len(reply) >= 2 and reply[0] == 0x08 else 0
    print(names.get(status, str(status)))
    return 0 if status == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
