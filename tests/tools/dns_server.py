#!/usr/bin/python3
"""An authoritative DNS server for gazette's `dns --check` tests, built on dnslib (Debian: python3-dnslib).

    /usr/bin/python3 tests/tools/dns_server.py --zone FILE [--host 127.0.0.1]

Serves the records of FILE, a zone file (`gazette dns` output works as it is: absolute names,
`;` comments, TXT values in several quoted strings), over UDP and TCP on one free port of HOST
(127.0.0.1 by default), and prints `PORT <n>` on stdout once both accept queries. A name in the
zone answers its records of the type asked (none: NOERROR with no answer); any other name
answers NXDOMAIN. Each query is logged on stderr as `QUERY <name> <type> <udp|tcp>`; a UDP answer over 512 bytes
is truncated (TC), so that the client asks again over TCP. Runs until SIGTERM
or SIGINT.
"""

import argparse
import signal
import socket
import sys
import threading

from dnslib import QTYPE, RCODE, RR, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSLogger, DNSServer


class Zone(BaseResolver):
    """Answers from a fixed list of records, authoritatively."""

    def __init__(self, records):
        self.records = records

    def resolve(self, request, handler):
        reply = request.reply()
        reply.header.aa = 1
        qname, qtype = request.q.qname, request.q.qtype
        print(f"QUERY {qname} {QTYPE.get(qtype)} {handler.protocol}", file=sys.stderr, flush=True)
        named = [rr for rr in self.records if rr.rname == qname]
        if not named:
            reply.header.rcode = RCODE.NXDOMAIN
        for rr in named:
            if qtype in (rr.rtype, QTYPE.ANY):
                reply.add_answer(rr)
        return reply


class Handler(DNSHandler):
    """Truncates UDP answers over 512 bytes (RFC 1035 4.2.1, no EDNS): the header with TC
    and the question, as real servers send it (dnslib's own truncation, off by default,
    drops the question too, and clients then ignore the answer as not theirs)."""

    def get_reply(self, data):
        request = DNSRecord.parse(data)
        reply = self.server.resolver.resolve(request, self)
        packed = reply.pack()
        if self.protocol == "udp" and len(packed) > 512:
            short = request.reply()
            short.header.aa = 1
            short.header.tc = 1
            packed = short.pack()
        return packed


def free_port(host):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--zone", required=True)
    p.add_argument("--host", default="127.0.0.1")
    args = p.parse_args()
    with open(args.zone) as f:
        records = RR.fromZone(f.read())
    zone = Zone(records)
    quiet = DNSLogger(log="-request,-reply,-truncated,-error,-recv,-send,-data", prefix=False)

    servers, last = None, None
    for _ in range(20):
        port = free_port(args.host)
        try:
            udp = DNSServer(zone, address=args.host, port=port, logger=quiet, handler=Handler)
            try:
                tcp = DNSServer(zone, address=args.host, port=port, tcp=True, logger=quiet, handler=Handler)
            except OSError:
                udp.server.server_close()
                raise
            servers = (udp, tcp)
            break
        except OSError as e:  # the port was taken meanwhile: pick another
            last = e
    if servers is None:
        print(f"dns_server.py: cannot listen on {args.host}: {last}", file=sys.stderr)
        return 1
    for s in servers:
        s.start_thread()
    print(f"PORT {port}", flush=True)

    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    for s in servers:
        s.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
