#!/usr/bin/env python3
"""gen_alt.py - an independent synthetic ISP trace generator for relayguard.

Writes a trace in the JSON Lines format of SPEC section 6 (policy requests
exactly as Postfix sends them, plus the Postfix syslog lines of the same
messages, linked by queue ID), with ground truth in "truth" fields.  It is a
second, independent model of an ISP's outbound mail, written without looking
at relayguard's own simulator or detector, so that detection can be checked
against behaviour it was not designed around.

The ISP
  consumers        SASL on 587/465 from dynamic broadband addresses in
                   100.64.0.0/10 (a new address every day or so) or IPv6 in
                   2001:db8:100::/40 (privacy addresses rotating in a /64);
                   some also send from their phone through a mobile
                   carrier's shared NAT addresses (outside the ISP).
  businesses       relay by IP on port 25 from 198.51.100.0/24,
                   203.0.113.0/24 or 2001:db8:200::/40, no SASL, many
                   employees' senders behind one address, office hours.
  business-sasl    small offices that authenticate on 587 with one account.
Legitimate behaviour that must not be flagged
  newsletter       list mail to 300-6000 subscribers (one per message or
                   BCC batches), throttled, 1-4% dead addresses; some send
                   daily (history inside the trace), some once.
  mailmerge        a business's one-off invoice/notice run (100-500 msgs).
  traveller        a consumer who logs in from hotels, airports, roaming.
  greeting         a consumer's one-off greeting to 25-150 contacts.
  newcustomer      appears mid-trace with no history (consumer or business),
                   some announce their new address to their contacts.
Compromises (the victim's own mail goes on alongside)
  high-rate        zombie PC using the victim's stored credentials through
                   the smarthost: 60-900 msgs/h in bursts, 1-50 rcpts.
  low-slow         1-8 msgs/h, 1-5 rcpts, often the victim's own sender and
                   HELO and only in the victim's waking hours.
  stolen-account   phished credentials used from a botnet (1 to 400
                   outside addresses), AUTH LOGIN, random HELOs.
  ip-relay         a business's infected PC or hacked web site relaying
                   unauthenticated on port 25 from the business's address.
Bot lists are harvested (15-45% dead, receivers refuse some as spam and
rate-limit the relay) or, for some bots, clean (every delivery succeeds).

truth: {"customer": KEY, "spam": BOOL, "scenario": NAME, "kind": NAME};
scenario is the compromise kind on every message of a compromised customer
("none" for the others), kind the customer's legitimate kind.
--params FILE writes each compromised customer's bot parameters as JSON, and
the parameters of the newsletters, mail merges, greetings and travellers.

Deterministic for --seed; python3 standard library only.
"""

import argparse
import bisect
import ipaddress
import json
import math
import random
import re
import sys
import time

START = 1764547200  # Mon 2025-12-01 00:00:00 UTC
ISP_DOMAIN = "isp.example"

FIRST = ("anna bernd carla dieter eva frank gina hans ines jan karin lars mia nils olga paul "
         "rosa sven tina uwe vera walter yvonne zoe adam beth chris dana eric fiona george "
         "helen ivan julia kevin laura mark nina oscar petra quentin rachel simon tom ursula "
         "victor wendy xavier yusuf ali fatima mehmet sofia luca marco giulia pierre marie "
         "jean claire kenji yuki raj priya").split()
LAST = ("mueller schmidt schneider fischer weber meyer wagner becker schulz hoffmann koch "
        "richter klein wolf neumann schwarz braun zimmermann hartmann krueger smith jones "
        "brown taylor wilson davies evans thomas roberts walker wright green hall wood "
        "martin bernard dubois moreau rossi russo ferrari bianchi garcia lopez martinez "
        "novak kowalski nowak yilmaz kaya tanaka suzuki patel singh kim lee nguyen").split()
WORDS = ("alpha nord sued west ost blue green red star sun moon river lake hill stone oak "
         "pine maple cedar iron steel gold silver tech data soft net web med bau haus auto "
         "reise druck bio agrar logistik consult plan design media print shop handel "
         "immobilien praxis kanzlei optik dental elektro sanitaer holz metall glas garten "
         "cafe baeckerei hotel sport musik kunst foto").split()

FREEMAIL = [("gmail.com", 28), ("yahoo.com", 8), ("hotmail.com", 8), ("outlook.com", 7),
            ("gmx.de", 6), ("web.de", 6), ("icloud.com", 4), ("aol.com", 3), ("t-online.de", 4),
            ("yahoo.co.uk", 2), ("orange.fr", 2), ("libero.it", 2), ("mail.ru", 2),
            ("yandex.ru", 1), ("comcast.net", 2), ("live.com", 2), ("gmx.net", 2),
            ("protonmail.com", 1), ("free.fr", 1), ("btinternet.com", 1)]
FREEMAIL_NAMES = [d for d, _ in FREEMAIL]
FREEMAIL_W = [w for _, w in FREEMAIL]
TLDS = ["com", "de", "net", "org", "co.uk", "fr", "it", "nl", "info", "biz", "ru", "pl", "es"]

# receiving side: (mx host, ip prefix, dead-user text, spam-refusal text, rate-limit text)
MX = {
    "gmail.com": ("gmail-smtp-in.l.google.com", "142.250.102.",
                  "550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking the recipient's email address for typos or 550-5.1.1 unnecessary spaces. For more information, go to 550 5.1.1  https://support.google.com/mail/?p=NoSuchUser",
                  "550-5.7.1 [RELAYIP] Our system has detected that this message is likely 550-5.7.1 unsolicited mail. To reduce the amount of spam sent to Gmail, this 550-5.7.1 message has been blocked. For more information, go to 550 5.7.1  https://support.google.com/mail/?p=UnsolicitedMessageError",
                  "421-4.7.28 [RELAYIP] Our system has detected an unusual rate of 421-4.7.28 unsolicited mail originating from your IP address. To protect our 421-4.7.28 users from spam, mail sent from your IP address has been temporarily 421 4.7.28 rate limited."),
    "yahoo.com": ("mta7.am0.yahoodns.net", "67.195.204.",
                  "554 delivery error: dd This user doesn't have a yahoo.com account (RCPT) [0] - mta4002.mail.gq1.yahoo.com",
                  "554 5.7.9 Message not accepted for policy reasons.  See https://senders.yahooinc.com/error-codes",
                  "421 4.7.0 [TSS04] Messages from RELAYIP temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://senders.yahooinc.com/error-codes"),
    "hotmail.com": ("hotmail-com.olc.protection.outlook.com", "52.101.73.",
                    "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). [AM4PEPF00025F98.EURPRD83.prod.outlook.com]",
                    "550 5.7.1 Unfortunately, messages from [RELAYIP] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).",
                    "451 4.7.650 The mail server [RELAYIP] has been temporarily rate limited due to IP reputation."),
}
MX["outlook.com"] = ("outlook-com.olc.protection.outlook.com",) + MX["hotmail.com"][1:]
MX["live.com"] = ("live-com.olc.protection.outlook.com",) + MX["hotmail.com"][1:]
MX["yahoo.co.uk"] = MX["yahoo.com"]
MX["aol.com"] = ("mx-aol.mail.gm0.yahoodns.net",) + MX["yahoo.com"][1:]
GENERIC_DEAD = ["550 5.1.1 <RCPT>: Recipient address rejected: User unknown in virtual mailbox table",
                "550 5.1.1 <RCPT>: Recipient address rejected: User unknown in local recipient table",
                "550 5.1.1 <RCPT>... User unknown",
                "550 Requested action not taken: mailbox unavailable",
                "552 5.2.2 <RCPT>: Recipient address rejected: Mailbox full"]
GENERIC_SPAM = ["554 5.7.1 Service unavailable; Client host [RELAYIP] blocked using zen.spamhaus.org",
                "550 5.7.1 Message rejected as spam by Content Filtering.",
                "554 5.7.1 Rejected by SpamAssassin: score 14.2"]
GREYLIST = ["450 4.7.1 <RCPT>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/DOMAIN.html",
            "451 4.7.1 Please try again later (greylisting)",
            "450 4.2.0 <RCPT>: Recipient address rejected: Greylisted for 300 seconds"]
RELAY_IPS = ["10.20.0.25", "10.20.0.26"]


DSN_RE = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")


def dsn_of(text, default):
    m = DSN_RE.search(text)
    return m.group(1) if m else default


def syslog_ts(t):
    g = time.gmtime(t)
    return "%s %2d %02d:%02d:%02d" % (time.strftime("%b", g), g.tm_mday, g.tm_hour, g.tm_min, g.tm_sec)


class Gen:
    def __init__(self, a):
        self.a = a
        self.r = random.Random(a.seed)
        self.end = START + a.days * 86400
        self.events = []          # (t, seq, json line)
        self.seq = 0
        self.qids = set()
        self.pids = {}
        self.domain_cache = {}
        self.used_v4 = set()
        self.carrier_pool = ["198.18.%d.%d" % (self.r.randrange(0, 256), self.r.randrange(1, 255)) for _ in range(400)]
        self.stats = {"msgs": 0, "spam_msgs": 0, "rcpts": 0}
        self.params = []

    # ---------------------------------------------------------------- helpers
    def push(self, t, obj):
        self.seq += 1
        self.events.append((t, self.seq, obj))

    def log(self, t, prog, pid, text, host):
        self.push(t, {"t": round(t, 3), "ev": "log", "line": "%s %s %s[%d]: %s" % (syslog_ts(t), host, prog, pid, text)})

    def pid(self, prog):
        r = self.r
        if prog not in self.pids or r.random() < 0.01:
            self.pids[prog] = r.randrange(300, 32000)
        return self.pids[prog]

    def qid(self):
        while True:
            q = "%010X" % self.r.getrandbits(40)
            if self.r.random() < 0.3:
                q = "%011X" % self.r.getrandbits(44)
            if q not in self.qids:
                self.qids.add(q)
                return q

    def lognorm(self, median, sigma):
        return median * math.exp(self.r.gauss(0, sigma))

    def poisson(self, lam):
        r = self.r
        if lam > 50:
            return max(0, int(round(r.gauss(lam, math.sqrt(lam)))))
        L, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= r.random()
            if p <= L:
                return k
            k += 1

    def freemail(self):
        return self.r.choices(FREEMAIL_NAMES, FREEMAIL_W)[0]

    def random_domain(self):
        r = self.r
        w = r.choice(WORDS) + r.choice(["", "-", ""]) + r.choice(WORDS + [str(r.randrange(1, 99))])
        return w + "." + r.choice(TLDS)

    def person_local(self, f=None, l=None):
        r = self.r
        f = f or r.choice(FIRST)
        l = l or r.choice(LAST)
        k = r.random()
        if k < 0.35:
            return "%s.%s" % (f, l)
        if k < 0.5:
            return "%s%s" % (f[0], l)
        if k < 0.65:
            return "%s%s%d" % (f, l, r.randrange(1, 99))
        if k < 0.75:
            return "%s_%s" % (f, l)
        if k < 0.88:
            return "%s%d" % (f, r.randrange(1950, 2010))
        return "%s.%s%d" % (f[0], l, r.randrange(1, 9))

    def mx(self, dom):
        m = self.domain_cache.get(dom)
        if m:
            return m
        if dom in MX:
            e = MX[dom]
            h = sum(map(ord, dom)) % 200 + 20
            m = (e[0], e[1] + str(h), e[2], e[3], e[4])
        elif dom.endswith(ISP_DOMAIN):
            m = ("mx.isp.example", "100.127.255.10", GENERIC_DEAD[1], GENERIC_SPAM[1], None)
        else:
            h = (sum(ord(c) * (i + 1) for i, c in enumerate(dom)))
            ip = "%d.%d.%d.%d" % (h % 180 + 20, h // 7 % 250 + 1, h // 13 % 250 + 1, h // 17 % 250 + 1)
            m = (self.r.choice(["mx.", "mail.", "mx1.", "smtp."]) + dom, ip,
                 self.r.choice(GENERIC_DEAD[:4]), self.r.choice(GENERIC_SPAM), None)
        self.domain_cache[dom] = m
        return m

    def public_v4(self):
        r = self.r
        while True:
            a = r.randrange(1, 224)
            if a in (10, 100, 127, 169, 172, 192, 198, 203, 0):
                continue
            ip = "%d.%d.%d.%d" % (a, r.randrange(0, 256), r.randrange(0, 256), r.randrange(1, 255))
            return ip

    def bb_v4(self):
        while True:
            n = self.r.randrange(1, (1 << 22) - 1)
            ip = str(ipaddress.IPv4Address((100 << 24) | (64 << 16) | n))
            if ip not in self.used_v4 and not ip.endswith(".0") and not ip.endswith(".255"):
                self.used_v4.add(ip)
                return ip

    def v6_host(self, p64):
        r = self.r
        return str(ipaddress.IPv6Address(int(p64.network_address) | r.getrandbits(64)))

    # diurnal weights (UTC treated as local time)
    CONS_W = [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1.2, 2.5, 3.5, 3.5, 3.2, 3.0, 3.4, 3.0, 2.8, 2.8, 3.0, 3.4, 3.8, 4.2, 4.4, 4.0, 3.0, 1.8]
    BIZ_W = [0.05, 0.03, 0.02, 0.02, 0.03, 0.1, 0.4, 2.5, 5, 6, 6, 5.5, 3.5, 4.5, 5.5, 5.5, 5, 3.5, 1.5, 0.6, 0.3, 0.2, 0.1, 0.05]

    def day_times(self, per_day, weights, t0=START, t1=None, weekend=1.0):
        """Times of per_day-on-average events, with an hourly profile."""
        r = self.r
        t1 = t1 or self.end
        cum = []
        s = 0
        for w in weights:
            s += w
            cum.append(s)
        out = []
        day = START
        while day < self.end:
            wd = time.gmtime(day).tm_wday
            f = weekend if wd >= 5 else 1.0
            n = self.poisson(per_day * f * r.uniform(0.6, 1.4))
            for _ in range(n):
                h = bisect.bisect_left(cum, r.random() * s)
                t = day + h * 3600 + r.random() * 3600
                if t0 <= t < t1:
                    out.append(t)
            day += 86400
        out.sort()
        return out

    # ---------------------------------------------------------------- customers
    def make_contacts(self, n, fm=0.6, own_domains=()):
        r = self.r
        out = []
        for _ in range(n):
            k = r.random()
            if k < fm:
                d = self.freemail()
            elif k < fm + 0.15:
                d = ISP_DOMAIN
            elif own_domains and k < fm + 0.25:
                d = r.choice(own_domains)
            else:
                d = self.random_domain()
            out.append(self.person_local() + "@" + d)
        return out

    def pick_contacts(self, c, n):
        """n recipients from c's address book (Zipf-ish), sometimes a new one."""
        r = self.r
        book = c["book"]
        out = []
        for _ in range(n):
            if r.random() < c.get("p_new", 0.1) or not book:
                a = self.make_contacts(1, own_domains=c.get("partner_domains", ()))[0]
                if r.random() < 0.02:
                    c["dead"].add(a)
                book.append(a)
            else:
                i = min(len(book) - 1, int(len(book) * (r.random() ** 2.2)))
                a = book[i]
            if a not in out:
                out.append(a)
        return out

    def consumer(self, idx, kind, v6=False):
        r = self.r
        f, l = r.choice(FIRST), r.choice(LAST)
        mailbox = self.person_local(f, l) + "%d" % r.randrange(1, 999) if r.random() < 0.3 else self.person_local(f, l)
        sender = mailbox + "@" + ISP_DOMAIN
        if r.random() < 0.55:
            user = sender
        else:
            user = "%s%05d" % (r.choice(["k", "c", "ac", "dsl"]), r.randrange(10000, 99999)) + str(idx)
        senders = [sender]
        if r.random() < 0.15:
            senders.append(self.person_local(r.choice(FIRST), l) + "@" + ISP_DOMAIN)  # family member on the same login
        if r.random() < 0.07:
            senders.append(self.person_local(f, l) + "@" + self.freemail())        # sends as their freemail address
        devices = []
        for _ in range(r.choice([1, 1, 1, 2, 2, 3])):
            k = r.random()
            if k < 0.35:
                helo = "DESKTOP-" + "".join(r.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(7))
            elif k < 0.55:
                helo = "[192.168.%d.%d]" % (r.choice([0, 1, 178, 2]), r.randrange(2, 250))
            elif k < 0.75:
                helo = "smtpclient.apple"
            elif k < 0.85:
                helo = r.choice([f.capitalize() + "s-MacBook-Pro.local", f + "-laptop", "localhost", "[127.0.0.1]"])
            else:
                helo = f.upper() + "-PC"
            devices.append({"helo": helo, "port": r.choice(["587", "587", "587", "465"]),
                            "mobile": helo == "smtpclient.apple" and r.random() < 0.5})
        per_day = min(40.0, self.lognorm(2.0, 0.9))
        c = {"kind": kind, "user": user, "senders": senders, "devices": devices, "per_day": per_day,
             "book": self.make_contacts(max(3, int(self.lognorm(25, 0.8)))), "dead": set(),
             "p_new": r.uniform(0.05, 0.2), "sasl": True, "v6": v6,
             "tls": r.choice([("TLSv1.3", "TLS_AES_256_GCM_SHA384", "256"), ("TLSv1.3", "TLS_AES_128_GCM_SHA256", "128"),
                              ("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", "256")])}
        for a in c["book"]:
            if r.random() < 0.015:
                c["dead"].add(a)
        # dynamic address plan: (from_t, address)
        plan = []
        t = START - r.random() * 86400
        if v6:
            p56 = int(ipaddress.IPv6Address("2001:db8:100::")) | (r.getrandbits(16) << 72)
            while t < self.end:
                if r.random() < 0.15:   # the delegated prefix changes too, sometimes
                    p56 = int(ipaddress.IPv6Address("2001:db8:100::")) | (r.getrandbits(16) << 72)
                p64 = ipaddress.IPv6Network((p56 | (r.randrange(0, 256) << 64), 64))
                plan.append((t, self.v6_host(p64)))
                t += r.uniform(6, 26) * 3600
        else:
            while t < self.end:
                plan.append((t, self.bb_v4()))
                t += r.expovariate(1 / (22 * 3600)) + 600
        c["plan"] = plan
        # the phone on mobile data: the carrier's NAT gives it a shared address for a few hours
        mplan = []
        t = START - r.random() * 4 * 3600
        while t < self.end:
            mplan.append((t, r.choice(self.carrier_pool)))
            t += r.uniform(1, 8) * 3600
        c["mplan"] = mplan
        c["key"] = user
        return c

    def home_addr(self, c, t, which="plan"):
        plan = c[which]
        i = bisect.bisect_right([p[0] for p in plan], t) - 1
        return plan[max(0, i)][1]

    def business(self, idx, kind, v6=False, sasl=False):
        r = self.r
        dom = r.choice(WORDS) + r.choice(["", "-"]) + r.choice(WORDS) + "." + r.choice(["example", "de", "com", "eu"])
        n_emp = max(1, int(self.lognorm(6, 0.8)))
        emps = [self.person_local() + "@" + dom for _ in range(n_emp)]
        system = [s + "@" + dom for s in r.sample(["info", "office", "noreply", "invoice", "buchhaltung", "service", "scanner"], r.randrange(1, 4))]
        if sasl:
            user = r.choice(["office", "info", "mail"]) + "@" + dom
            addr = None
        elif v6:
            p56 = int(ipaddress.IPv6Address("2001:db8:200::")) | (r.getrandbits(16) << 72)
            addr = str(ipaddress.IPv6Address(p56 | (r.choice([0, 1, 0x10]) << 64) | r.choice([1, 2, 0x25, 0x10])))
            user = None
        else:
            while True:
                addr = "%s.%d" % (r.choice(["198.51.100", "203.0.113"]), r.randrange(1, 255))
                if addr not in self.used_v4:
                    self.used_v4.add(addr)
                    break
            user = None
        k = r.random()
        helo = ("mail." + dom if k < 0.4 else "SRV%02d.%s.local" % (r.randrange(1, 5), dom.split(".")[0]) if k < 0.6
                else "exchange." + dom if k < 0.75 else "fw." + dom if k < 0.85 else "[%s]" % addr if addr and ":" not in addr else "mx." + dom)
        c = {"kind": kind, "user": user, "addr": addr, "domain": dom, "emps": emps, "system": system,
             "helo": helo, "sasl": sasl, "v6": v6, "per_day": n_emp * r.uniform(2, 10),
             "book": self.make_contacts(max(10, int(self.lognorm(120, 0.8))), fm=0.35), "dead": set(),
             "p_new": r.uniform(0.05, 0.25), "partner_domains": [self.random_domain() for _ in range(8)],
             "tls": r.choice([("", "", ""), ("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", "256"), ("TLSv1.3", "TLS_AES_256_GCM_SHA384", "256")])}
        for a in c["book"]:
            if r.random() < 0.015:
                c["dead"].add(a)
        c["key"] = user if sasl else self.addr_key(addr)
        c["static_ip"] = self.bb_v4() if sasl else None
        c["client_name"] = ("mail." + dom if r.random() < 0.5 else
                            "static-%s.biz.isp.example" % (addr.replace(".", "-") if addr and ":" not in addr else "x")) if addr else None
        return c

    def addr_key(self, addr):
        """The customer key of an address without SASL: relayguard groups IPv6 by /64."""
        if ":" in addr:
            return str(ipaddress.IPv6Network(addr + "/64", strict=False))
        return addr

    # ---------------------------------------------------------------- one message
    def outcome(self, rcpt, dead, spam_q=None):
        """Delivery attempts for one recipient: list of (delay_s, dsn, status, reply)."""
        r = self.r
        dom = rcpt.split("@")[1]
        mxh, mxip, dtext, stext, rtext = self.mx(dom)
        big = dom in MX
        if dead:
            return [(0, dsn_of(dtext, "5.1.1"), "bounced", dtext, True)]
        att = []
        if spam_q:
            if r.random() < spam_q["p_refuse"] * (1.5 if big else 0.6):
                code = dsn_of(stext, "5.7.1")
                return [(0, code, "bounced", stext, False)]
            if big and rtext and r.random() < spam_q["p_ratelimit"]:
                code = dsn_of(rtext, "4.7.0")
                att.append((0, code, "deferred", rtext, False))
                if r.random() < 0.5:
                    att.append((r.uniform(600, 1500), code, "deferred", rtext, False))
                    if r.random() < 0.5:
                        return att
                att.append((r.uniform(900, 3600), "2.0.0", "sent", None, False))
                return att
        if not big and r.random() < (0.12 if spam_q else 0.04):
            g = r.choice(GREYLIST)
            att.append((0, dsn_of(g, "4.7.1"), "deferred", g, False))
            att.append((r.uniform(300, 1000), "2.0.0", "sent", None, False))
            return att
        if r.random() < 0.003:
            t4 = "452 4.2.2 <RCPT>: Mailbox full, try again later"
            att.append((0, "4.2.2", "deferred", t4, False))
            att.append((r.uniform(600, 3000), "2.0.0", "sent", None, False))
            return att
        return [(0, "2.0.0", "sent", None, False)]

    def message(self, t, cust, sess, sender, rcpts, size, spam, dead_set, spam_q=None, seqno=0):
        """Emits the policy requests and the log lines of one message; returns its end time."""
        r = self.r
        qid = self.qid()
        truth = {"customer": cust["key"], "spam": spam, "scenario": cust.get("scenario", "none"), "kind": cust["kind"]}
        a = sess["attrs"]
        inst = "%x.%x.%x.%x" % (sess["pid"], int(sess["t"]), int((sess["t"] % 1) * 1e6), seqno)
        declared = str(size) if sess.get("declare_size", True) else "0"
        base = dict(a)
        base["instance"] = inst
        base["sender"] = sender
        host = sess["host"]
        prog = sess["prog"]
        ct = t
        qid_known = ""
        for i, rc in enumerate(rcpts):
            ct += r.uniform(0.01, 0.15) if i else r.uniform(0.05, 0.4)
            req = dict(base)
            req.update(protocol_state="RCPT", queue_id=qid_known, recipient=rc, recipient_count="0", size=declared)
            self.push(ct, {"t": round(ct, 3), "ev": "policy", "attrs": self.order(req), "truth": truth})
            if sess["dup"]:
                self.push(ct + 0.0005, {"t": round(ct + 0.0005, 3), "ev": "policy", "attrs": self.order(req), "truth": truth})
            if i == 0:
                qid_known = qid
                ct += 0.002
                cl = "client=%s[%s]" % (a["client_name"], a["client_address"])
                if a["sasl_username"]:
                    cl += ", sasl_method=%s, sasl_username=%s" % (a["sasl_method"], a["sasl_username"])
                self.log(ct, prog, sess["pid"], "%s: %s" % (qid, cl), host)
        ct += r.uniform(0.05, 0.3)
        mid = sess["midfmt"](ct)
        self.log(ct, "postfix/cleanup", self.pid("cleanup"), "%s: message-id=<%s>" % (qid, mid), host)
        ct += 0.1 + size / sess["bw"]
        req = dict(base)
        req.update(protocol_state="END-OF-MESSAGE", queue_id=qid, recipient="", recipient_count=str(len(rcpts)), size=str(size))
        self.push(ct, {"t": round(ct, 3), "ev": "policy", "attrs": self.order(req), "truth": truth})
        eom = ct
        qm = self.pid("qmgr")
        t_q = eom + r.uniform(0.005, 0.08)
        self.log(t_q, "postfix/qmgr", qm, "%s: from=<%s>, size=%d, nrcpt=%d (queue active)" % (qid, sender, size + r.randrange(300, 900), len(rcpts)), host)
        last = t_q
        bounced = []
        by_dom = {}
        for rc in rcpts:
            by_dom.setdefault(rc.split("@")[1], []).append(rc)
        for dom, rl in by_dom.items():
            mxh, mxip, _, _, _ = self.mx(dom)
            td = t_q + r.uniform(0.1, 2.5)
            spid = self.pid("smtp")
            for rc in rl:
                for (dt, dsn, status, reply, is_dead) in self.outcome(rc, rc in dead_set, spam_q):
                    tt = td + dt + r.uniform(0.01, 0.3)
                    d1, d2, d3 = round(r.uniform(0.01, 0.2), 2), round(r.uniform(0, 0.05), 2), round(r.uniform(0.05, 0.6), 2)
                    d4 = round(r.uniform(0.1, 1.0), 2)
                    delay = (tt - eom)
                    if dt:
                        d2 = round(dt, 0)
                    if reply is None:
                        txt = "250 2.0.0 Ok: queued as %X" % r.getrandbits(36) if not dom in MX else "250 2.0.0 OK  %d %s - gsmtp" % (int(tt), "".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(18)))
                        st = "sent (%s)" % txt
                    else:
                        rep = reply.replace("RCPT", rc).replace("RELAYIP", "10.20.0.25").replace("DOMAIN", dom)
                        phase = "RCPT TO" if ("5.1.1" in rep or "4.7.1 <" in rep or "4.2.0" in rep or "mailbox" in rep.lower()) else "end of DATA"
                        st = "%s (host %s[%s] said: %s (in reply to %s command))" % (status, mxh, mxip, rep, phase)
                    self.log(tt, "postfix/smtp", spid, "%s: to=<%s>, relay=%s[%s]:25, delay=%.1f, delays=%s/%s/%s/%s, dsn=%s, status=%s"
                             % (qid, rc, mxh, mxip, delay, d1, d2, d3, d4, dsn, st), host)
                    last = max(last, tt)
                    if status == "bounced":
                        bounced.append((tt, rc))
                        if is_dead and not spam and rc in cust.get("book", ()):
                            cust["book"].remove(rc)     # the user notices the bounce and drops the address
                    final = status != "deferred"
                    if not final:
                        pend = True
                    else:
                        pend = False
                if pend:
                    last = float("inf")
        if bounced:
            tb = max(b[0] for b in bounced) + r.uniform(0.01, 0.1)
            nq = self.qid()
            self.log(tb, "postfix/bounce", self.pid("bounce"), "%s: sender non-delivery notification: %s" % (qid, nq), host)
            self.log(tb + 0.001, "postfix/cleanup", self.pid("cleanup"), "%s: message-id=<%s.%s@relay1.isp.example>" % (nq, time.strftime("%Y%m%d%H%M%S", time.gmtime(tb)), nq), host)
            self.log(tb + 0.01, "postfix/qmgr", qm, "%s: from=<>, size=%d, nrcpt=1 (queue active)" % (nq, 2500 + r.randrange(2000)), host)
            sd = sender.split("@")[1] if "@" in sender else ISP_DOMAIN
            mxh, mxip, _, _, _ = self.mx(sd)
            tn = tb + r.uniform(0.2, 2)
            if sd == ISP_DOMAIN or cust.get("domain") == sd or r.random() < 0.5:
                self.log(tn, "postfix/smtp", self.pid("smtp"), "%s: to=<%s>, relay=%s[%s]:25, delay=%.1f, delays=0.01/0/0.1/%.2f, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as %X)" % (nq, sender, mxh, mxip, tn - tb, tn - tb, r.getrandbits(36)), host)
                self.log(tn + 0.001, "postfix/qmgr", qm, "%s: removed" % nq, host)
            else:
                self.log(tn, "postfix/smtp", self.pid("smtp"), "%s: to=<%s>, relay=none, delay=%.1f, delays=0.01/0/%.1f/0, dsn=4.4.3, status=deferred (Host or domain name not found. Name service error for name=%s type=MX: Host not found, try again)" % (nq, sender, tn - tb, tn - tb, sd), host)
        if last != float("inf"):
            self.log(last + 0.001, "postfix/qmgr", qm, "%s: removed" % qid, host)
        self.stats["msgs"] += 1
        self.stats["rcpts"] += len(rcpts)
        if spam:
            self.stats["spam_msgs"] += 1
        return eom

    KEYS = ("request", "protocol_state", "protocol_name", "helo_name", "queue_id", "sender", "recipient",
            "recipient_count", "client_address", "client_name", "reverse_client_name", "instance",
            "sasl_method", "sasl_username", "sasl_sender", "size", "ccert_subject", "ccert_issuer",
            "ccert_fingerprint", "ccert_pubkey_fingerprint", "encryption_protocol", "encryption_cipher",
            "encryption_keysize", "etrn_domain", "stress", "client_port", "policy_context",
            "server_address", "server_port", "compatibility_level", "mail_version")

    def order(self, d):
        return {k: d[k] for k in self.KEYS if k in d}

    def session(self, t, client, cname, helo, port, user, method, tls, host_i=None):
        """An SMTP session's fixed attributes."""
        r = self.r
        hi = r.randrange(2) if host_i is None else host_i
        host = "relay%d" % (hi + 1)
        pid = r.randrange(1000, 65000)
        if port in ("587", "465"):
            prog = "postfix/%s/smtpd" % ("submission" if port == "587" else "smtps")
            ctx = "submission"
        else:
            prog = "postfix/smtpd"
            ctx = "relay"
        attrs = {"request": "smtpd_access_policy", "protocol_name": "ESMTP", "helo_name": helo,
                 "client_address": client, "client_name": cname, "reverse_client_name": cname,
                 "sasl_method": method if user else "", "sasl_username": user or "", "sasl_sender": "",
                 "ccert_subject": "", "ccert_issuer": "", "ccert_fingerprint": "", "ccert_pubkey_fingerprint": "",
                 "encryption_protocol": tls[0], "encryption_cipher": tls[1], "encryption_keysize": tls[2],
                 "etrn_domain": "", "stress": "", "client_port": str(r.randrange(1025, 65535)),
                 "server_address": RELAY_IPS[hi], "server_port": port,
                 "compatibility_level": "3.6", "mail_version": "3.7.11"}
        if hi == 0:
            attrs["policy_context"] = ctx   # relay2's master.cf does not set a policy context
        dom = ISP_DOMAIN
        k = r.random()
        if k < 0.4:
            midfmt = lambda ct: "%x.%x@%s" % (int(ct * 1000), r.getrandbits(24), dom)
        elif k < 0.7:
            midfmt = lambda ct: "%08X-%04X-%04X-%04X-%012X@%s" % (r.getrandbits(32), r.getrandbits(16), r.getrandbits(16), r.getrandbits(16), r.getrandbits(48), dom)
        else:
            midfmt = lambda ct: "%s.%d@%s" % ("".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12)), int(ct), helo.strip("[]"))
        s = {"attrs": attrs, "host": host, "pid": pid, "prog": prog, "t": t, "dup": hi == 1,
             "bw": r.choice([60e3, 150e3, 500e3, 2e6]), "midfmt": midfmt}
        self.log(t, prog, pid, "connect from %s[%s]" % (cname, client), host)
        return s

    def end_session(self, s, t, n):
        self.log(t + 0.05, s["prog"], s["pid"], "disconnect from %s[%s] ehlo=2 starttls=1 auth=1 mail=%d rcpt=%d data=%d quit=1 commands=%d"
                 % (s["attrs"]["client_name"], s["attrs"]["client_address"], n, n, n, 5 + 3 * n) if s["attrs"]["sasl_username"] else
                 "disconnect from %s[%s] ehlo=1 mail=%d rcpt=%d data=%d quit=1 commands=%d" % (s["attrs"]["client_name"], s["attrs"]["client_address"], n, n, n, 2 + 3 * n), s["host"])

    def rdns(self, ip):
        if ip.startswith("100."):
            return "cpe-%s.bb.isp.example" % ip.replace(".", "-")
        if ":" in ip and ip.startswith("2001:db8:1"):
            return "unknown"
        if ip.startswith("198.18."):
            return self.r.choice(["unknown", "mobile-%s.carrier.example" % ip.replace(".", "-")])
        return "unknown"

    # ---------------------------------------------------------------- behaviours
    def legit_consumer(self, c, t0=START, t1=None, scale=1.0):
        r = self.r
        times = self.day_times(c["per_day"] * scale, self.CONS_W, t0, t1 or self.end, weekend=1.3)
        for t in times:
            self.consumer_send(c, t)

    def consumer_send(self, c, t, rcpts=None, client=None, helo=None, port=None, spam=False, size=None):
        r = self.r
        dev = r.choice(c["devices"])
        if client is None:
            if dev["mobile"] and r.random() < 0.4:
                client = self.home_addr(c, t, "mplan")
            else:
                client = self.home_addr(c, t)
        if rcpts is None:
            n = 1 if r.random() < 0.72 else r.choice([2, 2, 2, 3, 3, 4, 5, 6, 8, 12])
            rcpts = self.pick_contacts(c, n)
        if size is None:
            size = int(self.lognorm(9000, 1.2)) + 600
            if r.random() < 0.08:
                size = int(r.uniform(3e5, 8e6))
        sender = c["senders"][0] if r.random() < 0.85 else r.choice(c["senders"])
        s = self.session(t, client, self.rdns(client), helo or dev["helo"], port or dev["port"], c["user"], "PLAIN", c["tls"])
        s["bw"] = r.choice([120e3, 400e3, 1.2e6])
        e = self.message(t, c, s, sender, rcpts, size, spam, c["dead"])
        self.end_session(s, e, 1)

    def legit_business(self, c, t0=START, t1=None, scale=1.0):
        r = self.r
        times = self.day_times(c["per_day"] * scale, self.BIZ_W, t0, t1 or self.end, weekend=0.1)
        for t in times:
            self.business_send(c, t)

    def business_send(self, c, t, sender=None, rcpts=None, size=None):
        r = self.r
        if rcpts is None:
            n = 1 if r.random() < 0.65 else r.choice([2, 2, 3, 3, 4, 5, 7, 10])
            rcpts = self.pick_contacts(c, n)
        if sender is None:
            sender = r.choice(c["emps"]) if r.random() < 0.9 else r.choice(c["system"])
        if size is None:
            size = int(self.lognorm(25000, 1.3)) + 1200
        if c["sasl"]:
            client = c["static_ip"]
            s = self.session(t, client, self.rdns(client), c["helo"], "587", c["user"], "PLAIN", ("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", "256"))
        else:
            client = c["addr"]
            s = self.session(t, client, c["client_name"], c["helo"], "25", None, "", c["tls"])
        e = self.message(t, c, s, sender, rcpts, size, False, c["dead"])
        self.end_session(s, e, 1)

    def newsletter(self, c):
        r = self.r
        n_list = int(math.exp(r.uniform(math.log(200), math.log(4000))))
        subs = []
        for _ in range(n_list):
            k = r.random()
            d = self.freemail() if k < 0.6 else ISP_DOMAIN if k < 0.68 else self.random_domain()
            subs.append(self.person_local() + "@" + d)
        subs = list(dict.fromkeys(subs))
        dead = set(a for a in subs if r.random() < r.uniform(0.01, 0.04))
        lst = "news@" + c["domain"] if c.get("domain") else c["senders"][0]
        daily = r.random() < 0.5
        mode_one = r.random() < 0.6        # one recipient per message (personalised) or BCC batches
        batch = r.choice([10, 20, 50])
        rate = r.uniform(300, 3000)        # recipients per hour the list software sends to
        size = int(self.lognorm(40000, 0.5))
        c["params"] = {"list": len(subs), "daily": daily, "one_per_msg": mode_one, "batch": batch, "rate_h": int(rate)}
        sends = []
        day = START
        if daily:
            while day < self.end:
                sends.append(day + r.uniform(5, 7) * 3600)
                day += 86400
        else:
            sends.append(START + r.uniform(0.3, 0.9) * (self.end - START))
        for st in sends:
            if st >= self.end:
                continue
            t = st
            groups = [[a] for a in subs] if mode_one else [subs[i:i + batch] for i in range(0, len(subs), batch)]
            i = 0
            while i < len(groups):
                if c["sasl"]:
                    s = self.session(t, c["static_ip"], self.rdns(c["static_ip"]), c["helo"], "587", c["user"], "PLAIN", ("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", "256"))
                else:
                    s = self.session(t, c["addr"], c["client_name"], c["helo"], "25", None, "", c["tls"])
                n = 0
                for g in groups[i:i + r.randrange(20, 100)]:
                    e = self.message(t, c, s, lst, g, size + r.randrange(-500, 500), False, dead, seqno=n)
                    n += 1
                    t = e + r.expovariate(rate / 3600 / len(g))
                i += n
                self.end_session(s, t, n)
                t += r.uniform(1, 10)

    def mailmerge(self, c):
        r = self.r
        n = r.randrange(100, 500)
        rc = list(dict.fromkeys(self.make_contacts(n, fm=0.4)))
        dead = set(a for a in rc if r.random() < 0.015)
        t = START + r.uniform(0.2, 0.8) * (self.end - START)
        t = t - (t - START) % 86400 + r.uniform(9, 15) * 3600
        sender = r.choice(c["system"])
        c["params"] = {"merge": len(rc), "at": round(t - START)}
        for a in rc:
            s = self.session(t, c["addr"], c["client_name"], c["helo"], "25", None, "", c["tls"])
            e = self.message(t, c, s, sender, [a], int(self.lognorm(60000, 0.3)), False, dead)
            self.end_session(s, e, 1)
            t = e + r.uniform(0.5, 6)

    def traveller(self, c):
        r = self.r
        dep = START + r.uniform(0.15, 0.5) * (self.end - START)
        ret = min(self.end, dep + r.uniform(0.5, 1.0) * (self.end - dep))
        self.legit_consumer(c, START, dep)
        self.legit_consumer(c, ret, self.end)
        places = [self.public_v4() for _ in range(r.randrange(2, 7))]
        roam = self.public_v4()            # the phone roaming abroad
        c["params"] = {"depart": round(dep - START), "places": len(places)}
        times = self.day_times(c["per_day"] * 1.5 + 2, self.CONS_W, dep, ret)
        # moves through the places in order, roaming phone now and then
        for t in times:
            i = min(len(places) - 1, int((t - dep) / (ret - dep + 1) * len(places)))
            client = places[i] if r.random() < 0.8 else roam
            self.consumer_send(c, t, client=client)

    def greeting(self, c):
        r = self.r
        self.legit_consumer(c)
        t = START + r.uniform(0.3, 0.9) * (self.end - START)
        t = t - (t - START) % 86400 + r.uniform(10, 21) * 3600
        if t >= self.end:
            t -= 86400
        n = r.randrange(25, 150)
        old = self.make_contacts(n)
        c["book"].extend(old)
        for a in old:
            if r.random() < 0.07:
                c["dead"].add(a)
        allr = list(dict.fromkeys(old + c["book"][:10]))
        one = r.random() < 0.5
        c["params"] = {"greeting_rcpts": len(allr), "one_message": one, "at": round(t - START)}
        if one or len(allr) <= 30:
            self.consumer_send(c, t, rcpts=allr[:100], size=int(self.lognorm(400000, 0.8)))
            if len(allr) > 100:
                self.consumer_send(c, t + 120, rcpts=allr[100:], size=int(self.lognorm(400000, 0.8)))
        else:
            k = r.randrange(10, 31)
            for i in range(0, len(allr), k):
                self.consumer_send(c, t, rcpts=allr[i:i + k], size=int(self.lognorm(300000, 0.8)))
                t += r.uniform(30, 400)

    # ---------------------------------------------------------------- bots
    def spam_list(self, n, clean):
        r = self.r
        out = []
        fm_share = r.uniform(0.55, 0.85)
        doms = [self.random_domain() for _ in range(max(20, n // 30))]
        for _ in range(n):
            if r.random() < fm_share:
                d = self.freemail()
            else:
                d = r.choice(doms)
            k = r.random()
            if k < 0.55:
                lp = self.person_local()
            elif k < 0.75:
                lp = "".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randrange(4, 9))) + (str(r.randrange(1, 999)) if r.random() < 0.5 else "")
            else:
                lp = r.choice(["info", "sales", "admin", "contact", "office", "support", "webmaster", "kontakt", "mail", "service"])
            out.append(lp + "@" + d)
        return out

    def bot_quality(self, clean):
        r = self.r
        if clean:
            return {"p_dead": r.uniform(0.0, 0.01), "p_refuse": 0.0, "p_ratelimit": 0.0, "clean": True}
        return {"p_dead": r.uniform(0.15, 0.45), "p_refuse": r.uniform(0.03, 0.2), "p_ratelimit": r.uniform(0.0, 0.15), "clean": False}

    def random_helo(self, style, c, ip=None):
        r = self.r
        if style == "victim":
            return r.choice(c["devices"])["helo"] if "devices" in c else c["helo"]
        if style == "fixed":
            return c.setdefault("_bot_helo", r.choice(["ylmf-pc", "User", "localhost", "WIN-" + "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(11)),
                                                         self.random_domain(), "mail.%s" % self.random_domain()]))
        k = r.random()
        if k < 0.3:
            return "".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randrange(5, 11)))
        if k < 0.5:
            return "[%s]" % (ip or self.public_v4())
        if k < 0.7:
            return "WIN-" + "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(11))
        if k < 0.85:
            return self.random_domain()
        return r.choice(["localhost", "User", "ylmf-pc", "127.0.0.1"])

    def forged_sender(self):
        r = self.r
        return self.person_local() + "@" + (self.freemail() if r.random() < 0.4 else self.random_domain())

    def bot_rcpts(self, p, pool):
        r = self.r
        lo, hi = p["rcpts"]
        n = r.randint(lo, hi)
        out = []
        for _ in range(n):
            if pool["i"] >= len(pool["l"]):
                pool["l"].extend(self.spam_list(2000, pool["q"]["clean"]))
                pool["dead"].update(a for a in pool["l"][pool["i"]:] if r.random() < pool["q"]["p_dead"])
            out.append(pool["l"][pool["i"]])
            pool["i"] += 1
        return list(dict.fromkeys(out))

    def new_pool(self, q):
        l = self.spam_list(3000, q["clean"])
        return {"l": l, "i": 0, "q": q, "dead": set(a for a in l if self.r.random() < q["p_dead"])}

    def windows(self, t0, hours, bursty):
        """Active windows of about `hours` in total from t0 on."""
        r = self.r
        out = []
        t = t0
        left = hours * 3600
        while left > 0 and t < self.end:
            if bursty:
                on = min(left, r.uniform(600, 3600))
                out.append((t, min(self.end, t + on)))
                left -= on
                t += on + r.uniform(900, 7200)
            else:
                out.append((t, min(self.end, t + left)))
                break
        return out

    def run_bot(self, c, p, wins, client_fn, helo_fn, sender_fn, port, method, pool, tls):
        r = self.r
        rate = p["rate_h"] / 3600.0
        sent = 0
        for (w0, w1) in wins:
            t = w0
            while t < w1 and sent < p["cap"] and pool["i"] < p["rcpt_cap"]:
                client = client_fn(t)
                per_sess = r.randint(*p["per_session"])
                s = self.session(t, client, self.rdns(client), helo_fn(client), port, c["key"] if port != "25" else None, method, tls)
                s["declare_size"] = p["declare_size"]
                s["bw"] = r.choice([50e3, 200e3, 1e6])
                s["midfmt"] = p["midfmt"]
                n = 0
                for k in range(per_sess):
                    rc = self.bot_rcpts(p, pool)
                    e = self.message(t, c, s, sender_fn(), rc, int(p["size"] * r.uniform(0.9, 1.1)), True, pool["dead"], spam_q=pool["q"], seqno=k)
                    n += 1
                    sent += 1
                    t = e + r.expovariate(rate)
                    if t >= w1 or sent >= p["cap"]:
                        break
                self.end_session(s, t, n)
        return sent

    def midfmt_bot(self):
        r = self.r
        k = r.random()
        if k < 0.5:
            return lambda ct: "%s@%s" % ("".join(r.choice("0123456789ABCDEF") for _ in range(24)), self.random_domain())
        if k < 0.8:
            return lambda ct: "%d.%d@%s" % (int(ct), r.randrange(1000000), "localhost")
        return lambda ct: "%08X-%04X-%04X-%04X-%012X@%s" % (r.getrandbits(32), r.getrandbits(16), r.getrandbits(16), r.getrandbits(16), r.getrandbits(48), ISP_DOMAIN)

    def compromise(self, c, scen, early):
        r = self.r
        span = self.end - START
        t0 = START + (r.uniform(0.2, 3) * 3600 if early else r.uniform(0.35, 0.8) * span)
        clean = r.random() < 0.2
        q = self.bot_quality(clean)
        pool = self.new_pool(q)
        p = {"customer": c["key"], "scenario": scen, "kind": c["kind"], "early": early, "start": round(t0, 3),
             "start_offset_h": round((t0 - START) / 3600, 2), "clean_list": clean,
             "p_dead": round(q["p_dead"], 3), "p_refuse": round(q["p_refuse"], 3), "p_ratelimit": round(q["p_ratelimit"], 3),
             "declare_size": r.random() < 0.6, "rcpt_cap": 30000, "size": int(self.lognorm(6000, 0.6)), "midfmt": self.midfmt_bot()}
        tls = r.choice([("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", "256"), ("TLSv1", "AES256-SHA", "256"), ("TLSv1.3", "TLS_AES_256_GCM_SHA384", "256")])
        if scen == "high-rate":
            p["rate_h"] = int(math.exp(r.uniform(math.log(60), math.log(900))))
            p["rcpts"] = r.choice([(1, 1), (1, 3), (2, 10), (10, 50), (5, 25)])
            p["hours"] = round(r.uniform(1, 10), 1)
            p["bursty"] = r.random() < 0.5
            p["per_session"] = r.choice([(1, 1), (1, 5), (5, 30)])
            p["sender"] = r.choice(["victim", "forged", "forged-per-msg"])
            p["helo"] = r.choice(["victim", "fixed", "random"])
            p["cap"] = 4000
            victim_helo = r.choice(c["devices"])["helo"]
            client_fn = lambda t: self.home_addr(c, t)
            port, method = r.choice(c["devices"])["port"], "PLAIN" if r.random() < 0.5 else "LOGIN"
        elif scen == "low-slow":
            p["rate_h"] = round(r.uniform(1, 8), 2)
            p["rcpts"] = r.choice([(1, 1), (1, 2), (1, 5), (2, 5)])
            p["hours"] = round((self.end - t0) / 3600, 1)
            p["bursty"] = False
            p["per_session"] = (1, 1)
            p["sender"] = "victim" if r.random() < 0.7 else r.choice(["forged", "forged-per-msg"])
            p["helo"] = "victim" if r.random() < 0.7 else r.choice(["fixed", "random"])
            p["waking_hours_only"] = r.random() < 0.5
            p["cap"] = 100000
            victim_helo = r.choice(c["devices"])["helo"]
            client_fn = lambda t: self.home_addr(c, t)
            port, method = r.choice(c["devices"])["port"], "PLAIN"
        elif scen == "stolen-account":
            k = r.random()
            n_ips = 1 if k < 0.15 else r.randrange(3, 30) if k < 0.5 else r.randrange(50, 400)
            ips = [self.public_v4() for _ in range(n_ips)]
            if r.random() < 0.2:
                ips += [str(ipaddress.IPv6Address((0x2a02 << 112) | r.getrandbits(100))) for _ in range(max(1, n_ips // 10))]
            p["n_ips"] = len(ips)
            p["rate_h"] = int(math.exp(r.uniform(math.log(20), math.log(500))))
            p["rcpts"] = r.choice([(1, 1), (1, 5), (3, 15), (10, 30)])
            p["hours"] = round(r.uniform(2, 24), 1)
            p["bursty"] = r.random() < 0.4
            p["per_session"] = (1, 3) if n_ips > 1 else (5, 50)
            p["sender"] = "victim" if r.random() < 0.7 else r.choice(["forged", "forged-per-msg"])
            p["helo"] = "random" if n_ips > 1 else r.choice(["fixed", "random"])
            p["cap"] = 4000
            victim_helo = None
            per_ip_helo = {ip: self.random_helo("random", c, ip) for ip in ips}
            client_fn = lambda t: r.choice(ips)
            port, method = r.choice(["587", "587", "465"]), "LOGIN" if r.random() < 0.7 else "PLAIN"
            # the credential check before use: failed and successful logins
            for _ in range(r.randrange(1, 6)):
                tt = t0 - r.uniform(600, 3 * 86400)
                if tt > START:
                    ip = r.choice(ips)
                    self.log(tt, "postfix/submission/smtpd", r.randrange(1000, 65000), "warning: unknown[%s]: SASL LOGIN authentication failed: UGFzc3dvcmQ6" % ip, "relay1")
        else:  # ip-relay: business network, port 25, no SASL
            p["rate_h"] = int(math.exp(r.uniform(math.log(30), math.log(1000))))
            p["rcpts"] = r.choice([(1, 1), (1, 5), (5, 20)])
            p["hours"] = round(r.uniform(1, 12), 1)
            p["bursty"] = r.random() < 0.5
            p["per_session"] = r.choice([(1, 1), (1, 10), (10, 50)])
            p["variant"] = r.choice(["infected-pc", "webform", "hacked-mta"])
            if p["variant"] == "infected-pc":
                p["helo"] = r.choice(["fixed", "random"])
                p["sender"] = r.choice(["forged", "forged-per-msg"])
            elif p["variant"] == "webform":
                p["helo"] = "web"
                p["sender"] = "www"
            else:
                p["helo"] = "victim"
                p["sender"] = r.choice(["victim", "forged-per-msg"])
            p["cap"] = 4000
            victim_helo = c["helo"]
            client_fn = lambda t: c["addr"]
            port, method = "25", ""
            tls = c["tls"] if p["helo"] == "victim" else ("", "", "")
        # helo and sender functions
        hs = p["helo"]
        if hs == "victim":
            helo_fn = lambda ip: victim_helo
        elif hs == "web":
            wh = r.choice(["web01." + c["domain"], "localhost.localdomain", "www." + c["domain"]])
            helo_fn = lambda ip: wh
        elif hs == "fixed":
            fh = self.random_helo("fixed", c)
            helo_fn = lambda ip: fh
        elif scen == "stolen-account":
            helo_fn = lambda ip: per_ip_helo.get(ip) or self.random_helo("random", c, ip)
        else:
            helo_fn = lambda ip: self.random_helo("random", c, ip)
        ss = p["sender"]
        if ss == "victim":
            vs = c["senders"][0] if "senders" in c else r.choice(c["emps"])
            sender_fn = lambda: vs
        elif ss == "www":
            ws = r.choice(["www-data@", "wordpress@", "apache@", "noreply@"]) + c["domain"]
            sender_fn = lambda: ws
        elif ss == "forged":
            fs = self.forged_sender()
            sender_fn = lambda: fs
        else:
            sender_fn = self.forged_sender
        wins = self.windows(t0, p["hours"], p["bursty"])
        if scen == "low-slow" and p["waking_hours_only"]:
            nw = []
            for (a, b) in wins:
                d = a - (a - START) % 86400
                while d < b:
                    nw.append((max(a, d + 8 * 3600), min(b, d + 23 * 3600)))
                    d += 86400
            wins = [(a, b) for a, b in nw if a < b]
        p["sent"] = self.run_bot(c, p, wins, client_fn, helo_fn, sender_fn, port, method, pool, tls)
        p["windows"] = len(wins)
        del p["midfmt"]
        for k in ("rcpts", "per_session"):
            p[k] = list(p[k])
        c["params"] = p
        self.params.append(p)

    # ---------------------------------------------------------------- the ISP
    def run(self):
        a, r = self.a, self.r
        n = a.customers
        kinds = (["consumer"] * 60 + ["consumer-v6"] * 12 + ["traveller"] * 3 + ["greeting"] * 3 + ["newcustomer"] * 4
                 + ["business"] * 11 + ["business-v6"] * 3 + ["business-sasl"] * 2 + ["newsletter"] * 1 + ["mailmerge"] * 1)
        custs = []
        n_biz4 = 0
        for i in range(n):
            k = kinds[i % len(kinds)] if i < len(kinds) * (n // len(kinds)) else r.choice(kinds)
            if k in ("business", "mailmerge") or (k == "newsletter" and r.random() < 0.5):
                v6 = n_biz4 >= 480
                if not v6:
                    n_biz4 += 1
                c = self.business(i, k, v6=v6)
            elif k == "newsletter":
                c = self.business(i, k, sasl=True)
            elif k == "business-v6":
                c = self.business(i, k, v6=True)
            elif k == "business-sasl":
                c = self.business(i, k, sasl=True)
            elif k == "newcustomer":
                if r.random() < 0.7:
                    c = self.consumer(i, k, v6=r.random() < 0.2)
                else:
                    v6 = n_biz4 >= 480
                    if not v6:
                        n_biz4 += 1
                    c = self.business(i, k, v6=v6)
                c["joined"] = START + r.uniform(0.2, 0.85) * (self.end - START)
            else:
                c = self.consumer(i, k, v6=(k == "consumer-v6"))
            custs.append(c)
        # victims: ordinary consumers (SASL scenarios) and IP-relay businesses
        order = ["high-rate", "low-slow", "stolen-account", "ip-relay", "high-rate", "low-slow",
                 "stolen-account", "high-rate", "low-slow", "ip-relay"]
        cons = [c for c in custs if c["kind"] in ("consumer", "consumer-v6")]
        biz = [c for c in custs if c["kind"] == "business" and not c["sasl"]]
        r.shuffle(cons)
        r.shuffle(biz)
        victims = []
        for j in range(min(a.compromised, len(custs))):
            scen = order[j % len(order)]
            pool = biz if scen == "ip-relay" and biz else cons
            if not pool:
                break
            c = pool.pop()
            c["scenario"] = scen
            victims.append((c, scen, r.random() < 0.25))
        # legitimate behaviour (compromised customers too)
        for c in custs:
            k = c["kind"]
            if k in ("consumer", "consumer-v6"):
                self.legit_consumer(c)
            elif k in ("business", "business-v6", "business-sasl"):
                self.legit_business(c)
            elif k == "newsletter":
                self.legit_business(c, scale=0.3)
                self.newsletter(c)
            elif k == "mailmerge":
                self.legit_business(c)
                self.mailmerge(c)
            elif k == "traveller":
                self.traveller(c)
            elif k == "greeting":
                self.greeting(c)
            elif k == "newcustomer":
                j = c["joined"]
                if "devices" in c:
                    if r.random() < 0.35:   # tells everyone about the new address
                        t = j + r.uniform(600, 7200)
                        if t < self.end:
                            self.consumer_send(c, t, rcpts=c["book"][:60])
                    self.legit_consumer(c, j, self.end)
                else:
                    self.legit_business(c, j, self.end)
        for c, scen, early in victims:
            self.compromise(c, scen, early)
        self.legit_params = [dict(c["params"], customer=c["key"], scenario="none", kind=c["kind"],
                                  sasl=bool(c.get("sasl")))
                             for c in custs if "params" in c and "scenario" not in c]
        # background: brute force against the submission service (no policy requests)
        for _ in range(int(n * a.days * 0.3)):
            t = START + r.random() * (self.end - START)
            self.log(t, "postfix/submission/smtpd", r.randrange(1000, 65000),
                     "warning: unknown[%s]: SASL LOGIN authentication failed: authentication failure" % self.public_v4(), "relay%d" % r.randrange(1, 3))
        return custs

    def write(self, out):
        self.events.sort(key=lambda e: (e[0], e[1]))
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
        w = out.write
        for t, _, obj in self.events:
            if t >= self.end + 7200:
                continue
            w(dumps(obj))
            w("\n")


def main():
    ap = argparse.ArgumentParser(description="independent synthetic ISP trace generator for relayguard (SPEC section 6)")
    ap.add_argument("--customers", type=int, default=1000)
    ap.add_argument("--compromised", type=int, default=10)
    ap.add_argument("--days", type=float, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-o", "--output", default="-")
    ap.add_argument("--params", help="write the compromised customers' bot parameters and the special legitimate customers' (JSON) here")
    a = ap.parse_args()
    if a.customers < 1 or a.compromised < 0 or a.days <= 0:
        ap.error("--customers must be >= 1, --compromised >= 0, --days > 0")
    g = Gen(a)
    g.run()
    out = sys.stdout if a.output == "-" else open(a.output, "w")
    g.write(out)
    if out is not sys.stdout:
        out.close()
    if a.params:
        with open(a.params, "w") as f:
            json.dump(g.params + g.legit_params, f, indent=1, sort_keys=True)
    print("gen_alt: %d customers, %d compromised, %d messages (%d spam), %d recipients, %d events"
          % (a.customers, len(g.params), g.stats["msgs"], g.stats["spam_msgs"], g.stats["rcpts"], len(g.events)), file=sys.stderr)


if __name__ == "__main__":
    main()
