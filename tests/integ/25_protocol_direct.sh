#!/bin/bash
# 25_protocol_direct.sh - the policy protocol spoken directly to relayguardd.
#
# Proves (SPEC section 3, STYLE "hard input limits"):
#  - several requests on one connection are answered, in order;
#  - requests pipelined in one write, and requests split into odd small
#    writes, are all answered in order;
#  - a client that half-closes after its request (Exim ${readsocket} does
#    shutdown(SHUT_WR)) still gets its answer, then EOF;
#  - a line of exactly 8192 bytes (Postfix's own limit, 4 x
#    line_length_limit) is accepted;
#  - a line of 8193 bytes, an endless line without a newline, and a line
#    without '=' each get the connection closed without a reply and a
#    warning in the log that names the peer (127.0.0.1:PORT);
#  - a client vanishing in the middle of a request does no harm;
#  - a unix-socket listener answers the same way;
#  - the daemon is alive and answering after all of it.
source "$(dirname "$0")/lib.sh"

SOCK=$T/policy.sock
RG_POLICY_LISTEN="\"127.0.0.1:$RG_POLICY_PORT\", \"unix:$SOCK\""
rg_conf "$T/rg.conf"
rg_start "$T/rg.conf"
wait_for 5 test -S "$SOCK" || fail "unix socket $SOCK not created"

python3 - "127.0.0.1:$RG_POLICY_PORT" "unix:$SOCK" "$RG_LOG" <<'PYEOF' || fail "protocol checks failed (see above)"
import os, socket, sys, time
sys.path.insert(0, os.environ["RG_ROOT"] + "/tests/integ")
from policyc import connect, request, Reader

tcp, unix, logfile = sys.argv[1:4]
failed = False

def ok(msg):
    print("[25_protocol_direct] ok: " + msg)

def bad(msg):
    global failed
    failed = True
    print("[25_protocol_direct] FAIL: " + msg)

# Expected answers by kind of request.
KINDS = {
    "business": (dict(client_address="198.51.100.7"), lambda a: a == "DUNNO"),
    "unauth":   (dict(client_address="100.64.1.2"),
                 lambda a: a.startswith("REJECT 5.7.")),
    "auth":     (dict(client_address="100.64.1.2", sasl_username="u1",
                      sasl_method="PLAIN"), lambda a: a == "DUNNO"),
    "trusted":  (dict(client_address="127.0.0.5"), lambda a: a == "DUNNO"),
}

def req(kind, **extra):
    attrs = dict(KINDS[kind][0])
    attrs.update(extra)
    return request(**attrs)

def check(kind, answer, what):
    if answer is None:
        bad("%s: connection closed instead of an answer" % what)
        return False
    if not KINDS[kind][1](answer):
        bad("%s: %s request answered %r" % (what, kind, answer))
        return False
    return True

def log_size():
    return os.path.getsize(logfile)

def wait_log(since, needle, timeout=3.0):
    end = time.time() + timeout
    while time.time() < end:
        with open(logfile, "rb") as f:
            f.seek(since)
            new = f.read().decode("utf-8", "replace")
        if needle in new:
            return new
        time.sleep(0.05)
    with open(logfile, "rb") as f:
        f.seek(since)
        return None if needle else f.read().decode("utf-8", "replace")

def closed_case(name, payload, chunked=False):
    """payload must make the daemon close without a reply and warn."""
    since = log_size()
    s = connect(tcp)
    peer = "127.0.0.1:%d" % s.getsockname()[1]
    rd = Reader(s)
    try:
        if chunked:
            for i in range(0, len(payload), 4096):
                s.sendall(payload[i:i + 4096])
        else:
            s.sendall(payload)
    except (BrokenPipeError, ConnectionResetError):
        pass		# closed while we were still writing: fine
    try:
        if not rd.closed_without_reply(timeout=5.0):
            bad("%s: got a reply %r instead of a close" % (name, rd.buf[:200]))
            return
    except socket.timeout:
        bad("%s: connection still open after 5 s" % name)
        return
    finally:
        s.close()
    if wait_log(since, peer) is None:
        new = wait_log(since, "", 0)
        if new.strip():
            bad("%s: closed, but the log lines do not name the peer %s: %r"
                % (name, peer, new.strip()[-300:]))
        else:
            bad("%s: closed, but nothing was logged" % name)
        return
    ok("%s: closed without a reply, warning names %s" % (name, peer))

# 1. Sequential requests on one connection.
s = connect(tcp)
rd = Reader(s)
seq = ["business", "unauth", "auth", "unauth", "trusted", "business"]
good = True
for i, k in enumerate(seq):
    s.sendall(req(k))
    good &= check(k, rd.reply(), "sequential request %d" % (i + 1))
if good:
    ok("%d sequential requests on one connection answered in order" % len(seq))

# 2. Pipelined in one write, on the same connection.
seq = ["business", "unauth"] * 10 + ["auth", "trusted", "unauth"]
s.sendall(b"".join(req(k) for k in seq))
good = True
for i, k in enumerate(seq):
    good &= check(k, rd.reply(), "pipelined request %d" % (i + 1))
if good:
    ok("%d pipelined requests in one write answered in order" % len(seq))

# 3. Split into small writes at odd boundaries (7 bytes, tiny pauses).
seq = ["unauth", "business", "unauth"]
data = b"".join(req(k) for k in seq)
for i in range(0, len(data), 7):
    s.sendall(data[i:i + 7])
    if i % 140 == 0:
        time.sleep(0.001)
good = True
for i, k in enumerate(seq):
    good &= check(k, rd.reply(), "split request %d" % (i + 1))
if good:
    ok("requests written in 7-byte pieces answered in order")

# 4. A line of exactly 8192 bytes (without its newline) is accepted.
pad = 8192 - len("helo_name=")
good = check("business", (s.sendall(req("business", helo_name="h" * pad)), rd.reply())[1],
             "8192-byte line")
if good:
    ok("a line of 8192 bytes is accepted")
s.close()

# 5. Half-close after the request (Exim ${readsocket}): answer, then EOF.
s = connect(tcp)
rd = Reader(s)
s.sendall(req("unauth"))
s.shutdown(socket.SHUT_WR)
a = rd.reply()
if check("unauth", a, "half-closed request"):
    try:
        if rd.closed_without_reply(timeout=5.0):
            ok("half-closed client got its answer, then EOF")
        else:
            bad("half-closed client: extra bytes after the answer: %r" % rd.buf)
    except socket.timeout:
        bad("half-closed client: connection not closed 5 s after the answer")
s.close()

# 6. Oversized and malformed input: closed, no reply, logged with the peer.
closed_case("8193-byte line",
            req("business", helo_name="h" * (pad + 1)))
closed_case("endless line without a newline",
            b"request=smtpd_access_policy\nhelo_name=" + b"x" * 20000, chunked=True)
closed_case("line without '='",
            b"request=smtpd_access_policy\nclient_address=198.51.100.7\n"
            b"this line has no equals sign\n\n")

# 7. A client that vanishes in the middle of a request.
for cut in (1, 30, 200):
    s = connect(tcp)
    s.sendall(req("business")[:cut])
    s.close()
s = connect(tcp)
s.sendall(req("business")[:100])
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
s.close()		# RST
time.sleep(0.2)

# 8. The unix socket listener.
s = connect(unix)
rd = Reader(s)
seq = ["unauth", "business", "auth"]
s.sendall(b"".join(req(k) for k in seq))
good = True
for i, k in enumerate(seq):
    good &= check(k, rd.reply(), "unix-socket request %d" % (i + 1))
s.close()
if good:
    ok("unix socket listener answers pipelined requests")

# 9. Still alive and answering on TCP.
s = connect(tcp)
rd = Reader(s)
s.sendall(req("unauth"))
if check("unauth", rd.reply(), "final request"):
    ok("daemon still answering after the abuse")
s.close()

sys.exit(1 if failed else 0)
PYEOF

rg_finish
ok "daemon alive after all of it, stopped cleanly"
