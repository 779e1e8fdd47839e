# One trace, fed both to `relayguard replay` and, request by request over
# one persistent connection, to the running daemon, gives the same
# decisions.  The trace is stamped with the current time so the daemon's
# wall clock and the trace's clock see the same windows.
. "$(dirname "$0")/lib.sh"

rg_conf "$T/rg.conf" '
limit "msgs" { key = "customer"; count = "messages"; rate = "4/1h"; action = "defer"; }
limit "rcpts" { key = "customer"; count = "recipients"; rate = "6/1h"; action = "hold"; networks = ["business"]; }
limit "senders" { key = "sasl_username"; count = "distinct_recipient_domains"; rate = "3/1h"; action = "warn"; }
'
python3 - "$T/trace.jsonl" <<'PY'
import json, random, sys, time
random.seed(7)
t = time.time()
out = open(sys.argv[1], "w")
for i in range(400):
    t += 0.01
    kind = random.random()
    cust = random.randrange(12)
    attrs = {"request": "smtpd_access_policy", "protocol_state": "RCPT",
             "protocol_name": "ESMTP", "instance": "m%d.%d" % (cust, random.randrange(8)),
             "recipient": "r%d@d%d.example" % (random.randrange(20), random.randrange(6)),
             "sender": "s%d@example.net" % cust, "size": "1000", "recipient_count": "0"}
    if kind < 0.4:
        attrs.update(client_address="100.64.0.%d" % cust, sasl_username="u%d" % cust, server_port="587")
    elif kind < 0.6:
        attrs.update(client_address="100.64.1.%d" % cust, server_port="25")   # refused: no auth
    elif kind < 0.9:
        attrs.update(client_address="198.51.100.%d" % cust, server_port="25")
    else:
        attrs.update(client_address="203.0.113.%d" % cust, server_port="25", policy_context="inbound")
    out.write(json.dumps({"t": round(t, 3), "ev": "policy", "attrs": attrs}) + "\n")
PY
rg_start "$T/rg.conf"
python3 - "$T/trace.jsonl" "127.0.0.1:$RG_POLICY_PORT" >"$T/daemon.actions" <<'PY' || fail "daemon conversation failed"
import json, sys
sys.path.insert(0, __import__("os").environ["RG_ROOT"] + "/tests/integ")
import policyc
conn = policyc.connect(sys.argv[2])
reader = policyc.Reader(conn)
for line in open(sys.argv[1]):
    attrs = json.loads(line)["attrs"]
    # Exactly the trace's attributes, nothing added.
    conn.sendall(("".join("%s=%s\n" % kv for kv in attrs.items()) + "\n").encode())
    print(reader.reply())
PY
"$RG_CLI" replay -c "$T/rg.conf" -o "$T/replay.jsonl" "$T/trace.jsonl" || fail "replay failed"
python3 -c '
import json, sys
for l in open(sys.argv[1]): print(json.loads(l)["action"])' "$T/replay.jsonl" >"$T/replay.actions"
n=$(wc -l <"$T/daemon.actions")
[ "$n" = 400 ] || fail "daemon answered $n of 400 requests"
diff -u "$T/replay.actions" "$T/daemon.actions" || fail "replay and daemon decisions differ"
for verb in DUNNO DEFER_IF_PERMIT HOLD REJECT WARN; do
	grep -q "^$verb" "$T/daemon.actions" || fail "the trace never produced $verb: the test would prove little"
done
ok "400 decisions identical ($(sort "$T/daemon.actions" | cut -d' ' -f1 | uniq -c | tr '\n' ' '))"
rg_finish
