"""One connection, one request at a time, each request's send and answer times kept.

    python tail_client.py URL --bodies bodies.json --warmup 2 --duration 10 --out times.json

A closed loop over one kept-alive HTTP/1.1 connection, like wrk at concurrency
1, written with a bare socket so that its own work per request is a few tens of
microseconds. Times are ``time.perf_counter`` (CLOCK_MONOTONIC), the clock
tail_server.py records its events on. Writes {"sent": [...], "answered": [...],
"waited": [...], "errors": n} for the measured requests, ``waited`` being the
seconds this client waited runnable for a CPU during each.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--bodies", type=Path, required=True)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    url = urlsplit(args.url)
    requests = [
        (
            f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(b.encode())}\r\n\r\n{b}"
        ).encode()
        for b in json.loads(args.bodies.read_text())
    ]
    sock = socket.create_connection((url.hostname, url.port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    clock = time.perf_counter
    fd = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
    waited: list[float] = []
    start = clock() + args.warmup
    stop = start + args.duration
    sent: list[float] = []
    answered: list[float] = []
    errors = 0
    buffer = b""
    i = 0
    while True:
        w0 = os.pread(fd, 128, 0)
        t0 = clock()
        if t0 >= stop:
            break
        sock.sendall(requests[i % len(requests)])
        i += 1
        while b"\r\n\r\n" not in buffer:
            buffer += sock.recv(65536)
        head, _, buffer = buffer.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(buffer) < length:
            buffer += sock.recv(65536)
        buffer = buffer[length:]
        t1 = clock()
        w1 = os.pread(fd, 128, 0)
        if t0 >= start:
            waited.append((int(w1.split()[1]) - int(w0.split()[1])) / 1e9)
            sent.append(t0)
            answered.append(t1)
            errors += not head.startswith(b"HTTP/1.1 200")
    sock.close()
    args.out.write_text(
        json.dumps({"sent": sent, "answered": answered, "waited": waited, "errors": errors})
    )


if __name__ == "__main__":
    main()
