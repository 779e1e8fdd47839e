#!/usr/bin/env python3
"""feed.py - feed a running relayguardd's policy service for the browser
test (51_dashboard_browser.sh): the policy events of a trace written by
`relayguard simulate` (SPEC section 6), or, when no trace is given, a
small synthetic ISP of its own: 40 ordinary customers that write a few
messages to the same few people, and one compromised account (u-bot)
that sprays new recipients at many domains from several addresses.

  feed.py HOST:PORT TRACE.jsonl     send the trace's policy events
  feed.py HOST:PORT --synthetic     send the synthetic ISP

The trace's own clock is ignored: requests go out as fast as the daemon
answers (its wall clock decides).  Prints "sent=N" and the actions seen.
"""
import collections
import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integ"))
import policyc  # noqa: E402


def synthetic(seed=7):
    rnd = random.Random(seed)
    events = []
    for c in range(1, 41):
        user = "c%02d" % c
        for m in range(6):
            inst = "%s.%d" % (user, m)
            for r in range(1 + m % 2):
                events.append({"instance": inst, "sasl_username": user,
                               "client_address": "198.51.100.%d" % c,
                               "sender": "%s@isp.example" % user,
                               "helo_name": "pc-%s" % user,
                               "recipient": "friend%d@%s.example" % (r, user),
                               "policy_context": "submission"})
    for m in range(150):
        inst = "bot.%d" % m
        for r in range(3):
            events.append({"instance": inst, "sasl_username": "u-bot",
                           "client_address": "203.0.113.%d" % (1 + m % 9),
                           "sender": "%s@spam%d.example" % (rnd.choice("abcdefgh"), m % 17),
                           "helo_name": "bot-%d" % rnd.randrange(1000),
                           "recipient": "victim%d@target%d.example" % (rnd.randrange(10**6), rnd.randrange(500)),
                           "policy_context": "submission"})
    return events


def from_trace(path):
    for line in open(path):
        ev = json.loads(line)
        if ev.get("ev") == "policy":
            yield ev["attrs"]


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    events = synthetic() if argv[1] == "--synthetic" else from_trace(argv[1])
    sock = policyc.connect(argv[0], timeout=10)
    reader = policyc.Reader(sock)
    seen = collections.Counter()
    n = 0
    for attrs in events:
        sock.sendall(policyc.request(**attrs))
        action = reader.reply(timeout=10)
        if action is None:
            sys.stderr.write("feed: connection closed after %d requests\n" % n)
            return 1
        seen[action.split(" ")[0]] += 1
        n += 1
    print("sent=%d %s" % (n, " ".join("%s=%d" % kv for kv in sorted(seen.items()))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
