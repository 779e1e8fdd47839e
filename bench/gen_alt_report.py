#!/usr/bin/env python3
"""gen_alt_report.py - per-customer failure analysis of a detection run.

usage: gen_alt_report.py TRACE DECISIONS [PARAMS.json]

TRACE is a trace with truth (bench/gen_alt.py or relayguard simulate),
DECISIONS the output of `relayguard replay -o`, PARAMS the --params file of
gen_alt.py.  Prints, for every compromised customer missed or stopped after
more than --late (5) spam messages accepted, and for every legitimate
customer held or rejected: its history before the compromise (messages,
distinct recipients), its bot parameters and the incident's evidence.
"""
import argparse
import json
import re
import sys

STATUS_RE = re.compile(r"\]: ([0-9A-Za-z]+): to=<[^>]*>, .*dsn=(\d)\.\d+\.\d+, status=(\w+)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trace")
    ap.add_argument("decisions")
    ap.add_argument("params", nargs="?")
    ap.add_argument("--late", type=int, default=5)
    ap.add_argument("--all", action="store_true", help="every compromised customer, not only failures")
    ap.add_argument("--jsonl", help="also write one JSON record per compromised or flagged customer here")
    a = ap.parse_args()
    cust = {}
    eom = {}          # instance -> (customer, spam, t)
    qid_of = {}       # queue id -> (customer, spam)
    outcomes = []     # (queue id, dsn class, status)
    for line in open(a.trace):
        if '"ev": "policy"' not in line and '"ev":"policy"' not in line:
            if "status=" in line:
                m = STATUS_RE.search(line)
                if m:
                    outcomes.append((m.group(1), m.group(2)[0], m.group(3)))
            continue
        e = json.loads(line)
        at, tr = e["attrs"], e.get("truth") or {}
        k = tr.get("customer")
        c = cust.setdefault(k, {"kind": tr.get("kind"), "scenario": "none", "first_spam": None, "legit": [],
                                "spam": 0, "rcpts_before": set(), "msgs_before": 0, "legit_total": 0,
                                "clients": set(), "spam_clients": set(), "helos": set(), "spam_helos": set(),
                                "senders": set(), "spam_senders": set(), "spam_rcpts": 0})
        spam = bool(tr.get("spam"))
        if spam:
            c["scenario"] = tr.get("scenario")
        if at.get("protocol_state") == "RCPT":
            if spam:
                c["spam_rcpts"] += 1
            elif c["first_spam"] is None:
                c["rcpts_before"].add(at.get("recipient", "").lower())
            continue
        if at.get("protocol_state") != "END-OF-MESSAGE":
            continue
        eom[at["instance"]] = (k, spam, e["t"])
        qid_of[at.get("queue_id", "")] = (k, spam)
        if spam:
            if c["first_spam"] is None:
                c["first_spam"] = e["t"]
            c["spam"] += 1
            c["spam_clients"].add(at["client_address"])
            c["spam_helos"].add(at["helo_name"])
            c["spam_senders"].add(at["sender"])
        else:
            c["legit_total"] += 1
            if c["first_spam"] is None:
                c["msgs_before"] += 1
            c["clients"].add(at["client_address"])
            c["helos"].add(at["helo_name"])
            c["senders"].add(at["sender"])
    for q, cls, st in outcomes:
        ks = qid_of.get(q)
        if not ks:
            continue
        c = cust[ks[0]]
        key = "spam_out" if ks[1] else "legit_out"
        o = c.setdefault(key, {})
        name = "sent" if st == "sent" else ("5xx" if cls == "5" else "4xx")
        o[name] = o.get(name, 0) + 1
    inc = {}
    acts = {}
    for line in open(a.decisions):
        d = json.loads(line)
        if d.get("ev") == "incident":
            inc.setdefault(d["customer"], d)
            continue
        if d.get("state") == "END-OF-MESSAGE":
            acts[d["instance"]] = d["action"].split()[0]
    for inst, (k, spam, t) in eom.items():
        c = cust[k]
        act = acts.get(inst, "?")
        if spam:
            if act not in ("HOLD", "REJECT", "DEFER_IF_PERMIT", "DEFER"):
                c["spam_accepted"] = c.get("spam_accepted", 0) + 1
        elif act in ("HOLD", "REJECT"):
            c["legit_held"] = c.get("legit_held", 0) + 1
            c.setdefault("first_held", t)
            c["first_held"] = min(c["first_held"], t)
    params = {}
    if a.params:
        for p in json.load(open(a.params)):
            params[p["customer"]] = p

    def ev_summary(d):
        if not d:
            return "no incident"
        ev = d.get("evidence", {})
        sig = ev.get("signals", {})
        s = ", ".join("%s %+.2f/%d" % (n, v.get("llr", 0), v.get("count", 0)) for n, v in sig.items())
        return "incident at %s reason=%s llr=%.2f (thr %.2f) msgs=%s rcpts=%s: %s" % (
            d.get("opened"), d.get("reason"), ev.get("llr", 0), ev.get("threshold", 0), ev.get("messages"), ev.get("recipients"), s)

    if a.jsonl:
        with open(a.jsonl, "w") as jf:
            for k, c in cust.items():
                if c["scenario"] == "none" and k not in inc and not c.get("legit_held"):
                    continue
                d = inc.get(k)
                rec = {"customer": k, "kind": c["kind"], "scenario": c["scenario"], "spam": c["spam"],
                       "spam_rcpts": c["spam_rcpts"], "spam_accepted": c.get("spam_accepted", 0),
                       "msgs_before": c["msgs_before"], "rcpts_before": len(c["rcpts_before"]),
                       "legit_total": c["legit_total"], "legit_held": c.get("legit_held", 0),
                       "legit_clients": len(c["clients"]), "spam_out": c.get("spam_out"), "legit_out": c.get("legit_out"), "spam_clients": len(c["spam_clients"]),
                       "incident": d is not None,
                       "tti": (d["opened"] - c["first_spam"]) if d and c["first_spam"] else None,
                       "evidence": d.get("evidence") if d else None, "params": params.get(k)}
                jf.write(json.dumps(rec) + "\n")
    comp = [(k, c) for k, c in cust.items() if c["scenario"] != "none"]
    print("== compromised customers (%d)" % len(comp))
    for k, c in sorted(comp, key=lambda x: (x[1]["scenario"], x[0])):
        acc = c.get("spam_accepted", 0)
        d = inc.get(k)
        late = d is None or acc > a.late
        if not late and not a.all:
            continue
        p = params.get(k, {})
        delay = (d["opened"] - c["first_spam"]) if d else None
        print("-- %s  scenario=%s kind=%s  %s  spam msgs=%d rcpts=%d accepted=%d%s" % (
            k, c["scenario"], c["kind"], "MISSED" if d is None else ("LATE" if late else "ok"), c["spam"], c["spam_rcpts"], acc,
            "" if delay is None else " time-to-incident=%.0fs" % delay))
        print("   history before first spam: %d msgs, %d distinct rcpts; legit total %d msgs; legit clients %d helos %d senders %d"
              % (c["msgs_before"], len(c["rcpts_before"]), c["legit_total"], len(c["clients"]), len(c["helos"]), len(c["senders"])))
        print("   spam: clients %d helos %d senders %d (overlap with legit: clients %d helos %d senders %d)" % (
            len(c["spam_clients"]), len(c["spam_helos"]), len(c["spam_senders"]),
            len(c["spam_clients"] & c["clients"]), len(c["spam_helos"] & c["helos"]), len(c["spam_senders"] & c["senders"])))
        print("   delivery outcomes: spam %s; legit %s" % (c.get("spam_out", {}), c.get("legit_out", {})))
        if p:
            print("   bot: " + ", ".join("%s=%s" % (x, p[x]) for x in sorted(p) if x not in ("customer", "scenario", "kind", "start")))
        print("   " + ev_summary(d))
    leg = [(k, c) for k, c in cust.items() if c["scenario"] == "none" and (k in inc or c.get("legit_held"))]
    print("== legitimate customers held/rejected or with an incident (%d)" % len(leg))
    for k, c in sorted(leg, key=lambda x: (x[1]["kind"], x[0])):
        print("-- %s  kind=%s  legit msgs=%d held/rejected=%d; clients %d helos %d senders %d" % (
            k, c["kind"], c["legit_total"], c.get("legit_held", 0), len(c["clients"]), len(c["helos"]), len(c["senders"])))
        print("   delivery outcomes: %s" % (c.get("legit_out", {}),))
        p = params.get(k)
        if p:
            print("   behaviour: " + ", ".join("%s=%s" % (x, p[x]) for x in sorted(p) if x not in ("customer", "scenario", "kind")))
        print("   " + ev_summary(inc.get(k)))


if __name__ == "__main__":
    main()
