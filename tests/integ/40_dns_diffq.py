#!/usr/bin/env python3
"""40_dns_diffq.py - helpers for the DNS differential and AXFR tests.

  gen OUT SEED [0]         write a random ip4set data file (0: no "$")
  diff PORT_A PORT_B ZONE N SEED DATA
                           ask both servers N random A/TXT questions
                           (addresses drawn near the entries of DATA) and
                           compare rcode and the sorted A and TXT answers;
                           prints the differences, exits 1 on any
"""
import random, socket, struct, sys, time, select

def gen(out, seed, dollar="1"):
    r = random.Random(int(seed))
    lines = [":127.0.0.2:Listed $ see http://bl.example.test/$"]
    def ip(): 
        while True:
            a = r.randrange(1, 224)
            if a != 127: return a
    for _ in range(3000):
        lines.append("%d.%d.%d.%d" % (ip(), r.randrange(256), r.randrange(256), r.randrange(256)))
    for _ in range(300):
        lines.append("%d.%d.%d.%d :%d:custom $ %d" % (ip(), r.randrange(256), r.randrange(256),
                     r.randrange(256), r.randrange(3, 20), r.randrange(1000)))
    for _ in range(300):
        bits = r.choice([8, 16, 20, 24, 25, 28, 30])
        a = (ip() << 24 | r.randrange(1 << 24)) & ((0xffffffff << (32 - bits)) & 0xffffffff)
        lines.append("%s/%d" % (socket.inet_ntoa(struct.pack(">I", a)), bits))
    for _ in range(200):
        a = ip() << 24 | r.randrange(1 << 24)
        b = a + r.randrange(1, 600)
        if b >> 24 == 127 or b > 0xdfffffff: continue
        lines.append("%s-%s :%d" % (socket.inet_ntoa(struct.pack(">I", a)),
                     socket.inet_ntoa(struct.pack(">I", b)), r.randrange(3, 20)))
    lines.append(":127.0.0.5:second default for $")
    for _ in range(400):
        lines.append("!%d.%d.%d.%d" % (ip(), r.randrange(256), r.randrange(256), r.randrange(256)))
    for _ in range(300):
        lines.append("%d.%d.%d.%d" % (ip(), r.randrange(256), r.randrange(256), r.randrange(256)))
    r.shuffle(lines[1:])
    text = "\n".join(lines) + "\n"
    if dollar == "0":	# for AXFR: "$" in a wildcard's TXT cannot transfer
        text = text.replace("$", "x")
    open(out, "w").write(text)

def qname(ip, zone):
    return ".".join(reversed(ip.split("."))) + "." + zone

def encode(name, qid, qtype):
    b = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
    for l in name.split("."):
        b += bytes([len(l)]) + l.encode()
    return b + b"\0" + struct.pack(">HH", qtype, 1)

def skip_name(p, o):
    while True:
        c = p[o]
        if c >= 0xc0: return o + 2
        if c == 0: return o + 1
        o += c + 1

def decode(p):
    rcode = p[3] & 15
    qd, an = struct.unpack(">HH", p[4:8])
    o = 12
    for _ in range(qd): o = skip_name(p, o) + 4
    out = []
    for _ in range(an):
        o = skip_name(p, o)
        t, c, ttl, rl = struct.unpack(">HHIH", p[o:o + 10]); o += 10
        rd = p[o:o + rl]; o += rl
        if t == 1: out.append("A " + socket.inet_ntoa(rd))
        elif t == 16: out.append("TXT " + rd[1:1 + rd[0]].decode("latin1"))
    return rcode, sorted(out)

def ask_all(port, queries):
    """queries: list of (name, type); returns list of (rcode, answers)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.connect(("127.0.0.1", port))
    res = [None] * len(queries)
    pending = {}
    nxt = 0; window = 64; tries = {}
    deadline = time.time() + 250
    while (nxt < len(queries) or pending) and time.time() < deadline:
        while nxt < len(queries) and len(pending) < window:
            qid = nxt & 0xffff
            s.send(encode(queries[nxt][0], qid, queries[nxt][1]))
            pending[qid] = (nxt, time.time()); nxt += 1
        r, _, _ = select.select([s], [], [], 0.5)
        if r:
            while True:
                try: p = s.recv(4096, socket.MSG_DONTWAIT)
                except BlockingIOError: break
                qid = struct.unpack(">H", p[:2])[0]
                if qid in pending:
                    i, _ = pending.pop(qid); res[i] = decode(p)
        now = time.time()
        for qid, (i, t0) in list(pending.items()):
            if now - t0 > 0.5:
                tries[i] = tries.get(i, 0) + 1
                if tries[i] > 6: pending.pop(qid); res[i] = ("timeout", [])
                else:
                    s.send(encode(queries[i][0], qid, queries[i][1])); pending[qid] = (i, now)
    return res

def diff(pa, pb, zone, n, seed, data):
    r = random.Random(int(seed))
    keys = []
    for line in open(data):
        line = line.strip()
        if not line or line[0] in ":#$": continue
        k = line.lstrip("!").split()[0].split("/")[0].split("-")[0]
        keys.append(struct.unpack(">I", socket.inet_aton(k))[0])
    qs = []
    for _ in range(int(n)):
        base = r.choice(keys)
        a = base + r.choice([0, 0, 0, r.randrange(-3, 4), r.randrange(-300, 300), r.randrange(-70000, 70000)])
        a &= 0xffffffff
        if a >> 24 == 127: a = base
        qs.append((qname(socket.inet_ntoa(struct.pack(">I", a)), zone), r.choice([1, 1, 16])))
    ra = ask_all(int(pa), qs); rb = ask_all(int(pb), qs)
    bad = 0; listed = 0
    for q, x, y in zip(qs, ra, rb):
        if x != y:
            bad += 1
            if bad <= 20: print("DIFF", q, "relayguard:", x, "rbldnsd:", y)
        elif x[0] == 0: listed += 1
    print("queries=%d differences=%d listed=%d" % (len(qs), bad, listed))
    sys.exit(1 if bad else 0)

if __name__ == "__main__":
    {"gen": gen, "diff": diff}[sys.argv[1]](*sys.argv[2:])
