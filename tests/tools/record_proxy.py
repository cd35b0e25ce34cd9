#!/usr/bin/python3
"""A TCP proxy that records how the client's bytes arrived, for gazette's pipelining tests.

    /usr/bin/python3 tests/tools/record_proxy.py --target PORT --log FILE

Listens on a free port of 127.0.0.1, prints `PORT <n>` once it accepts connections, and
forwards each connection to 127.0.0.1:PORT. Every chunk read from a client (one recv) is
appended to FILE as a JSON line, {"conn": N, "data": "..."} (the bytes as Latin-1), before it
is passed on: commands a client sent together without waiting for a reply arrive in one
chunk. Runs until SIGTERM or SIGINT.
"""

import argparse
import itertools
import json
import signal
import socket
import sys
import threading


def pump(src, dst, record=None):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if record:
                record(data)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", type=int, required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log = open(args.log, "a", encoding="ascii")
    lock = threading.Lock()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print(f"PORT {listener.getsockname()[1]}", flush=True)
    for n in itertools.count(1):
        client, _ = listener.accept()
        server = socket.create_connection(("127.0.0.1", args.target))

        def record(data, n=n):
            with lock:
                log.write(json.dumps({"conn": n, "data": data.decode("latin-1")}) + "\n")
                log.flush()

        threading.Thread(target=pump, args=(client, server, record), daemon=True).start()
        threading.Thread(target=pump, args=(server, client), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
