#!/usr/bin/env python3
"""policyc.py - a minimal Postfix policy delegation protocol client for the
integration tests (SMTPD_POLICY_README): name=value lines, an empty line
ends a request, the reply is "action=..." plus an empty line.

Why Python and not bash /dev/tcp: the tests need read timeouts, half-written
and oversized lines, pipelined writes, unix sockets and a load generator on
persistent connections, none of which bash does reliably.

As a program:
  policyc.py query ADDR [NAME=VALUE...]
        one request on a fresh connection; prints the action ("DUNNO",
        "REJECT 5.7.1 ..."); exit 1 if the connection closes without a reply
  policyc.py load ADDR CONNS STOPFILE [NAME=VALUE...]
        keeps CONNS persistent connections busy until STOPFILE exists; each
        request is a new message (instance) of a new customer
        (sasl_username=load-C-N) and must be answered DUNNO within 5 s; prints
        "sent=N answered=N bad=N closed=N" and exits 1 on any failure
ADDR is HOST:PORT or unix:/path.

As a module: connect(), request(), read_reply().
"""
import os
import socket
import sys
import threading
import time

DEFAULTS = [
    ("request", "smtpd_access_policy"),
    ("protocol_state", "RCPT"),
    ("protocol_name", "ESMTP"),
    ("helo_name", "client.rg-integ.invalid"),
    ("queue_id", ""),
    ("sender", "someone@example.net"),
    ("recipient", "rcpt@example.org"),
    ("recipient_count", "0"),
    ("client_address", "198.51.100.7"),
    ("client_name", "unknown"),
    ("reverse_client_name", "unknown"),
    ("instance", ""),
    ("sasl_method", ""),
    ("sasl_username", ""),
    ("sasl_sender", ""),
    ("size", "1024"),
    ("ccert_subject", ""),
    ("ccert_issuer", ""),
    ("ccert_fingerprint", ""),
    ("ccert_pubkey_fingerprint", ""),
    ("encryption_protocol", ""),
    ("encryption_cipher", ""),
    ("encryption_keysize", "0"),
    ("etrn_domain", ""),
    ("stress", ""),
    ("client_port", "40000"),
    ("policy_context", "relay"),
    ("server_address", "127.0.0.1"),
    ("server_port", "25"),
    ("compatibility_level", "3.6"),
    ("mail_version", "3.7.11"),
]

_seq = [0]
_seq_lock = threading.Lock()


def unique_instance(tag="i"):
    with _seq_lock:
        _seq[0] += 1
        n = _seq[0]
    return "%s.%d.%d.%d" % (tag, os.getpid(), int(time.time() * 1000), n)


def connect(addr, timeout=5.0):
    if addr.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(addr[5:])
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout=timeout)
    return s


def request(**attrs):
    """The bytes of one request: Postfix's attributes in Postfix's order,
    overridden by attrs; a fresh instance unless one is given."""
    if "instance" not in attrs:
        attrs["instance"] = unique_instance()
    out = []
    seen = set()
    for k, v in DEFAULTS:
        out.append("%s=%s\n" % (k, attrs.get(k, v)))
        seen.add(k)
    for k, v in attrs.items():
        if k not in seen:
            out.append("%s=%s\n" % (k, v))
    out.append("\n")
    return "".join(out).encode()


class Reader:
    """Reads replies from one connection; keeps bytes that arrived early."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def reply(self, timeout=5.0):
        """The next action; None when the peer closed first. Raises
        socket.timeout when nothing complete arrives in time."""
        self.sock.settimeout(timeout)
        while b"\n\n" not in self.buf:
            d = self.sock.recv(65536)
            if not d:
                return None
            self.buf += d
        block, self.buf = self.buf.split(b"\n\n", 1)
        line = block.decode("utf-8", "replace").split("\n")[0]
        if not line.startswith("action="):
            raise ValueError("bad reply: %r" % block)
        return line[len("action="):]

    def closed_without_reply(self, timeout=5.0):
        """True when the peer closes without sending a byte, False when any
        byte arrives; raises socket.timeout if the connection stays open."""
        self.sock.settimeout(timeout)
        while True:
            try:
                d = self.sock.recv(65536)
            except ConnectionResetError:
                return not self.buf
            if not d:
                return not self.buf
            self.buf += d
            return False


def parse_attrs(args):
    attrs = {}
    for a in args:
        k, _, v = a.partition("=")
        attrs[k] = v
    return attrs


def cmd_query(addr, args):
    s = connect(addr)
    s.sendall(request(**parse_attrs(args)))
    r = Reader(s).reply()
    if r is None:
        print("connection closed without a reply", file=sys.stderr)
        return 1
    print(r)
    return 0


def cmd_load(addr, conns, stopfile, args):
    base = parse_attrs(args)
    stats = {"sent": 0, "answered": 0, "bad": 0, "closed": 0}
    lock = threading.Lock()
    errors = []

    def worker(c):
        try:
            s = connect(addr)
        except OSError as e:
            with lock:
                stats["closed"] += 1
                errors.append("conn %d: connect: %s" % (c, e))
            return
        rd = Reader(s)
        n = 0
        while not os.path.exists(stopfile):
            n += 1
            attrs = dict(base)
            attrs.setdefault("client_address", "198.51.100.9")
            attrs["sasl_username"] = "load-%d-%d" % (c, n)
            attrs["instance"] = unique_instance("load%d" % c)
            try:
                s.sendall(request(**attrs))
                with lock:
                    stats["sent"] += 1
                r = rd.reply(timeout=5.0)
            except (OSError, ValueError) as e:
                with lock:
                    stats["closed"] += 1
                    errors.append("conn %d req %d: %s" % (c, n, e))
                return
            if r is None:
                with lock:
                    stats["closed"] += 1
                    errors.append("conn %d req %d: closed by the daemon" % (c, n))
                return
            with lock:
                stats["answered"] += 1
                if r != "DUNNO":
                    stats["bad"] += 1
                    if len(errors) < 10:
                        errors.append("conn %d req %d: %s" % (c, n, r))
            time.sleep(0.002)
        s.close()

    threads = [threading.Thread(target=worker, args=(c,)) for c in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("sent=%(sent)d answered=%(answered)d bad=%(bad)d closed=%(closed)d" % stats)
    for e in errors:
        print("  " + e)
    ok = (stats["closed"] == 0 and stats["bad"] == 0
          and stats["sent"] == stats["answered"] and stats["sent"] > 0)
    return 0 if ok else 1


def main(argv):
    if len(argv) >= 2 and argv[0] == "query":
        return cmd_query(argv[1], argv[2:])
    if len(argv) >= 4 and argv[0] == "load":
        return cmd_load(argv[1], int(argv[2]), argv[3], argv[4:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
