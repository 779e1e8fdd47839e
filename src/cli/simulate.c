/*
 * simulate.c - `relayguard simulate [--customers N] [--compromised K]
 * [--days D] [--seed S] [--scenario NAME] [--start EPOCH] [-o FILE]`:
 * write a synthetic ISP trace (SPEC section 6, JSON Lines ordered by
 * time) with ground truth on every policy event.
 *
 * The ISP and its customers are sim_model.c's (doc/simulate.md); this
 * file is the relay: every message a customer sends becomes what Postfix
 * 3.7 would show for it.
 *
 *   Policy requests: one per recipient at RCPT (queue_id empty until the
 *   first recipient is accepted, as with smtpd_delay_open_until_valid_rcpt)
 *   and one at END-OF-MESSAGE (recipient_count, actual size, recipient
 *   only for a single one), with Postfix 3.7's full attribute set;
 *   policy_context "submission" (port 587, SASL) or "relay" (port 25).
 *   truth = {"customer": KEY, "spam": B, "scenario": NAME, "kind": KIND}:
 *   KEY is what the engine computes with customer_key = [sasl_username,
 *   client_address] and IPv6 grouped by /64; NAME is the compromise
 *   scenario of the customer ("none" for a legitimate one), KIND what
 *   this message is ("legit-consumer", "newsletter", "bot-high-rate"...).
 *
 *   Log lines (host relay1), linked by long queue IDs: smtpd client=
 *   (with sasl_method and sasl_username), cleanup message-id=, qmgr
 *   from=/size/nrcpt, smtp to=... status=sent, bounced (dsn=5.1.1 user
 *   unknown, 5.7.1 refused) or deferred (4.7.1 greylisting, retried 5 to
 *   30 minutes later), bounce's non-delivery notification and its own
 *   delivery to the sender, qmgr removed; at plausible delays.
 *
 * Ordering: a min-heap of pending events keyed by (time, sequence).  An
 * actor's wake-up (sim_model_act) pushes all the events of the message
 * it sends, all at or after its own time, so events leave the heap in
 * time order; the heap holds only messages in flight.
 *
 * Output is hand-formatted into a 1 MiB buffer: a week of 10,000
 * customers is several hundred megabytes, and printf per attribute
 * would take most of the time.  Every string written comes from the
 * model (ASCII, no quotes) but is JSON-escaped anyway.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/sim_model.h"
#include "lib/xmalloc.h"

#define OUT_CAP (1u << 20)
#define RELAY_HOST "relay1"
#define RELAY_ADDR "192.0.2.1"
#define MAILSTORE "mailstore." SIM_ISP_DOMAIN "[192.0.2.10]:24"


enum ev_type {
	EV_RCPT, EV_CLIENT, EV_MSGID, EV_EOM, EV_QMGR, EV_DELIVER, EV_RETRY_QMGR,
	EV_RETRY_DELIVER, EV_NOTIFY, EV_NDR_QMGR, EV_NDR_DELIVER, EV_NDR_REMOVED,
	EV_REMOVED
};

struct msg {
	unsigned cust;
	int refs;			/* events still in the heap */
	uint32_t smtpd_pid, n_grey;
	uint16_t client_port;
	bool size_declared, tls;
	int64_t t0, t_eom;
	char qid[24], ndr_qid[24], instance[40];
	struct sim_msg_plan plan;
};

struct ev {
	int64_t t;			/* ms since the epoch */
	uint64_t seq;
	struct msg *msg;		/* NULL: an actor wakes */
	uint32_t cust;
	uint16_t type;			/* actor (0, 1) or enum ev_type */
	uint16_t idx;			/* recipient */
};

struct sim {
	struct sim_model m;
	struct ev *heap;
	size_t n, cap;
	uint64_t seq, counter;
	struct sim_rng rng;		/* Postfix's own randomness: pids, delays */
	FILE *f;
	char *buf;
	size_t len;
	int write_err;
	int64_t ts_sec;			/* cache of the syslog timestamp */
	char ts[20];
};

/* ---- output ---------------------------------------------------------- */

/*
 * Lines are written through a cursor into the buffer: line_begin()
 * makes room for LINE_ROOM bytes, which bounds any line (every variable
 * field is a fixed-size array of the model, at most 1,536 bytes, and
 * JSON escaping at most sextuples it; there are fewer than 10 of them).
 */
#define LINE_ROOM (64u << 10)

static void
out_flush(struct sim *s)
{
	if (s->len > 0 && fwrite(s->buf, 1, s->len, s->f) != s->len)
		s->write_err = 1;
	s->len = 0;
}

static char *
line_begin(struct sim *s)
{
	if (OUT_CAP - s->len < LINE_ROOM)
		out_flush(s);
	return s->buf + s->len;
}

static void
line_end(struct sim *s, char *w)
{
	s->len = (size_t)(w - s->buf);
}

#define PUT_LIT(w, lit) (memcpy((w), (lit), sizeof(lit) - 1), (w) + sizeof(lit) - 1)

/* JSON-escape text (only " \ and control characters need it). */
static char *
put_esc(char *w, const char *text)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)text;

	for (; *p != '\0'; p++) {
		if (*p >= 0x20 && *p != '"' && *p != '\\') {
			*w++ = (char)*p;
		} else if (*p == '"' || *p == '\\') {
			*w++ = '\\';
			*w++ = (char)*p;
		} else {
			w = PUT_LIT(w, "\\u00");
			*w++ = hex[*p >> 4];
			*w++ = hex[*p & 15];
		}
	}
	return w;
}

static char *
put_u64(char *w, uint64_t v)
{
	char b[24];
	int i = sizeof(b);

	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	memcpy(w, b + i, sizeof(b) - (size_t)i);
	return w + sizeof(b) - i;
}

/* Seconds with exactly three decimals. */
static char *
put_time(char *w, int64_t t_ms)
{
	w = put_u64(w, (uint64_t)(t_ms / 1000));
	*w++ = '.';
	*w++ = (char)('0' + t_ms / 100 % 10);
	*w++ = (char)('0' + t_ms / 10 % 10);
	*w++ = (char)('0' + t_ms % 10);
	return w;
}

/* "name": "value", */
#define ATTR(w, name, value) \
	((w) = PUT_LIT((w), "\"" name "\": \""), (w) = put_esc((w), (value)), \
	    (w) = PUT_LIT((w), "\", "))

/* One policy request (state RCPT with recipient idx, or END-OF-MESSAGE). */
static void
write_policy(struct sim *s, const struct msg *g, int64_t t, bool eom, unsigned idx)
{
	const struct sim_msg_plan *p = &g->plan;
	char rcpt[160] = "", *w = line_begin(s);
	bool tls = g->tls, sasl = p->sasl;

	if (!eom || p->n_rcpt == 1)
		sim_model_addr_format(&s->m, &p->rcpt[eom ? 0 : idx], rcpt, sizeof(rcpt));
	w = PUT_LIT(w, "{\"t\": ");
	w = put_time(w, t);
	w = PUT_LIT(w, ", \"ev\": \"policy\", \"attrs\": {\"request\": \"smtpd_access_policy\", ");
	ATTR(w, "protocol_state", eom ? "END-OF-MESSAGE" : "RCPT");
	ATTR(w, "protocol_name", "ESMTP");
	ATTR(w, "helo_name", p->helo);
	ATTR(w, "queue_id", eom || idx > 0 ? g->qid : "");
	ATTR(w, "sender", p->sender);
	ATTR(w, "recipient", rcpt);
	w = PUT_LIT(w, "\"recipient_count\": \"");
	w = put_u64(w, eom ? p->n_rcpt : 0);
	w = PUT_LIT(w, "\", ");
	ATTR(w, "client_address", p->client_addr);
	ATTR(w, "client_name", p->client_name);
	ATTR(w, "reverse_client_name", p->client_name);
	ATTR(w, "instance", g->instance);
	ATTR(w, "sasl_method", sasl ? "PLAIN" : "");
	ATTR(w, "sasl_username", sasl ? sim_model_user(&s->m, g->cust) : "");
	w = PUT_LIT(w, "\"sasl_sender\": \"\", \"size\": \"");
	w = put_u64(w, eom || g->size_declared ? p->size : 0);
	w = PUT_LIT(w, "\", \"ccert_subject\": \"\", \"ccert_issuer\": \"\", "
	    "\"ccert_fingerprint\": \"\", \"ccert_pubkey_fingerprint\": \"\", ");
	ATTR(w, "encryption_protocol", !tls ? "" : sasl ? "TLSv1.3" : "TLSv1.2");
	ATTR(w, "encryption_cipher", !tls ? "" : sasl ? "TLS_AES_256_GCM_SHA384" :
	    "ECDHE-RSA-AES256-GCM-SHA384");
	ATTR(w, "encryption_keysize", tls ? "256" : "");
	w = PUT_LIT(w, "\"etrn_domain\": \"\", \"stress\": \"\", \"client_port\": \"");
	w = put_u64(w, g->client_port);
	w = PUT_LIT(w, "\", ");
	ATTR(w, "policy_context", sasl ? "submission" : "relay");
	ATTR(w, "server_address", RELAY_ADDR);
	ATTR(w, "server_port", sasl ? "587" : "25");
	w = PUT_LIT(w, "\"compatibility_level\": \"3.6\", \"mail_version\": \"3.7.11\"}, "
	    "\"truth\": {\"customer\": \"");
	w = put_esc(w, sim_model_key(&s->m, g->cust));
	w = p->spam ? PUT_LIT(w, "\", \"spam\": true, \"scenario\": \"") :
	    PUT_LIT(w, "\", \"spam\": false, \"scenario\": \"");
	w = put_esc(w, sim_model_scenario(&s->m, g->cust));
	w = PUT_LIT(w, "\", \"kind\": \"");
	w = put_esc(w, p->kind);
	w = PUT_LIT(w, "\"}}\n");
	line_end(s, w);
}

/* A log event: "Mon DD HH:MM:SS relay1 PROGRAM[PID]: TEXT". */
static void
write_log(struct sim *s, int64_t t, const char *program, unsigned pid, const char *text)
{
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	char *w = line_begin(s);

	if (t / 1000 != s->ts_sec) {
		time_t sec = (time_t)(t / 1000);
		struct tm tm;

		gmtime_r(&sec, &tm);
		snprintf(s->ts, sizeof(s->ts), "%s %2d %02d:%02d:%02d", months[tm.tm_mon],
		    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		s->ts_sec = t / 1000;
	}
	w = PUT_LIT(w, "{\"t\": ");
	w = put_time(w, t);
	w = PUT_LIT(w, ", \"ev\": \"log\", \"line\": \"");
	w = put_esc(w, s->ts);
	w = PUT_LIT(w, " " RELAY_HOST " ");
	w = put_esc(w, program);
	*w++ = '[';
	w = put_u64(w, pid);
	w = PUT_LIT(w, "]: ");
	w = put_esc(w, text);
	w = PUT_LIT(w, "\"}\n");
	line_end(s, w);
}

/* ---- the event heap --------------------------------------------------- */

static bool
ev_less(const struct ev *a, const struct ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static int
heap_push(struct sim *s, int64_t t, struct msg *g, uint32_t cust, uint16_t type, uint16_t idx)
{
	struct ev e = { t, s->seq++, g, cust, type, idx };
	size_t i;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		struct ev *h = xreallocarray(s->heap, cap, sizeof(*h));

		if (h == NULL)
			return -1;
		s->heap = h;
		s->cap = cap;
	}
	for (i = s->n++; i > 0 && ev_less(&e, &s->heap[(i - 1) / 2]); i = (i - 1) / 2)
		s->heap[i] = s->heap[(i - 1) / 2];
	s->heap[i] = e;
	if (g != NULL)
		g->refs++;
	return 0;
}

static struct ev
heap_pop(struct sim *s)
{
	struct ev top = s->heap[0], last = s->heap[--s->n];
	size_t i = 0, c;

	while ((c = 2 * i + 1) < s->n) {
		if (c + 1 < s->n && ev_less(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!ev_less(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->n > 0)
		s->heap[i] = last;
	return top;
}

/* ---- Postfix ---------------------------------------------------------- */

static const char safe_chars[] = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";

/* Postfix's long queue ID (enable_long_queue_ids): time, 'z', inode. */
static void
long_qid(int64_t t_ms, uint64_t inode, char *buf)
{
	uint64_t sec = (uint64_t)(t_ms / 1000);
	uint64_t usec = (uint64_t)(t_ms % 1000) * 1000 + inode % 1000;
	char inum[16];
	int i, n = 0;

	for (i = 5; i >= 0; i--, sec /= 52)
		buf[i] = safe_chars[sec % 52];
	for (i = 9; i >= 6; i--, usec /= 52)
		buf[i] = safe_chars[usec % 52];
	buf[10] = 'z';
	inode += 100000;
	do {
		inum[n++] = safe_chars[inode % 51];
		inode /= 51;
	} while (inode != 0);
	for (i = 0; i < n; i++)
		buf[11 + i] = inum[n - 1 - i];
	buf[11 + n] = '\0';
}

/* Postfix prints delays with two significant decimals at most. */
static void
fmt_delay(int64_t ms, char *buf, size_t cap)
{
	size_t n;

	if (ms < 0)
		ms = 0;
	if (ms >= 100000) {
		snprintf(buf, cap, "%" PRId64, ms / 1000);
		return;
	}
	snprintf(buf, cap, ms >= 10000 ? "%.1f" : "%.2f", (double)ms / 1000);
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 1 && buf[n - 1] == '.')
		buf[--n] = '\0';
}

static const char *
domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : addr;
}

static unsigned
mx_host(const char *domain)
{
	uint64_t h = 0;

	while (*domain)
		h = sim_model_mix(h, (unsigned char)*domain++);
	return 11 + (unsigned)(h % 240);
}

static int
start_message(struct sim *s, unsigned cust, int64_t t0, const struct sim_msg_plan *plan)
{
	struct msg *g = xmalloc(sizeof(*g));
	struct sim_rng *r = &s->rng;
	int64_t t = t0, t_last = 0, t_q, t_retry = 0, t_bounce = 0;
	unsigned k;
	int rc = 0;

	if (g == NULL)
		return -1;
	memset(g, 0, offsetof(struct msg, plan));
	g->plan = *plan;
	g->cust = cust;
	g->t0 = t0;
	g->smtpd_pid = (plan->sasl ? 2000 : 3000) + sim_model_rng_below(r, 1000);
	g->client_port = (uint16_t)(1024 + sim_model_rng_below(r, 64000));
	g->size_declared = sim_model_rng_below(r, 10) < 7;
	g->tls = plan->sasl || sim_model_rng_below(r, 10) < 8;
	s->counter++;
	snprintf(g->instance, sizeof(g->instance), "%x.%x.1", g->smtpd_pid,
	    (unsigned)(s->counter & 0xffffffffu));
	/* RCPT requests; the queue file exists once the first is accepted. */
	for (k = 0; k < plan->n_rcpt; k++) {
		t += (k == 0 ? 300 : 40) + sim_model_rng_below(r, 60);
		rc |= heap_push(s, t, g, cust, EV_RCPT, (uint16_t)k);
		if (k == 0) {
			long_qid(t, s->counter, g->qid);
			rc |= heap_push(s, t + 2, g, cust, EV_CLIENT, 0);
		}
	}
	g->t_eom = t + 150 + plan->size / 1000 + sim_model_rng_below(r, 100);
	rc |= heap_push(s, g->t_eom - 1, g, cust, EV_MSGID, 0);
	rc |= heap_push(s, g->t_eom, g, cust, EV_EOM, 0);
	t_q = g->t_eom + 10 + sim_model_rng_below(r, 40);
	rc |= heap_push(s, t_q, g, cust, EV_QMGR, 0);
	for (k = 0; k < plan->n_rcpt; k++) {
		int64_t td = t_q + 200 + sim_model_rng_below(r, 2500);

		rc |= heap_push(s, td, g, cust, EV_DELIVER, (uint16_t)k);
		if (td > t_last)
			t_last = td;
		if (plan->outcome[k] == SIM_UNKNOWN || plan->outcome[k] == SIM_REFUSED)
			t_bounce = td > t_bounce ? td : t_bounce;
		if (plan->outcome[k] == SIM_GREYLISTED)
			g->n_grey++;
	}
	if (g->n_grey > 0) {
		t_retry = t_q + 300000 + sim_model_rng_below(r, 1500000);
		rc |= heap_push(s, t_retry, g, cust, EV_RETRY_QMGR, 0);
		for (k = 0; k < plan->n_rcpt; k++) {
			if (plan->outcome[k] != SIM_GREYLISTED)
				continue;
			t = t_retry + 300 + sim_model_rng_below(r, 1200);
			rc |= heap_push(s, t, g, cust, EV_RETRY_DELIVER, (uint16_t)k);
			t_last = t > t_last ? t : t_last;
		}
	}
	if (t_bounce > 0) {
		t = t_bounce + 5;
		long_qid(t, ++s->counter, g->ndr_qid);
		rc |= heap_push(s, t, g, cust, EV_NOTIFY, 0);
		rc |= heap_push(s, t + 10, g, cust, EV_NDR_QMGR, 0);
		rc |= heap_push(s, t + 120 + sim_model_rng_below(r, 500), g, cust,
		    EV_NDR_DELIVER, 0);
		rc |= heap_push(s, t + 700, g, cust, EV_NDR_REMOVED, 0);
		t_last = t + 10 > t_last ? t + 10 : t_last;
	}
	rc |= heap_push(s, t_last + 5, g, cust, EV_REMOVED, 0);
	return rc;
}

static void
log_delivery(struct sim *s, const struct msg *g, int64_t t, unsigned k, bool retry)
{
	const struct sim_msg_plan *p = &g->plan;
	char rcpt[160], delay[24], d1[24], d2[24], d3[24], d4[24], text[1536], status[768];
	const char *dom = sim_model_domain_name(&s->m, p->rcpt[k].domain);
	unsigned mx = mx_host(dom), out = retry ? SIM_SENT : p->outcome[k];
	int64_t conn = 100 + sim_model_rng_below(&s->rng, 400);

	sim_model_addr_format(&s->m, &p->rcpt[k], rcpt, sizeof(rcpt));
	fmt_delay(t - g->t0, delay, sizeof(delay));
	fmt_delay(g->t_eom - g->t0 + 10, d1, sizeof(d1));
	fmt_delay(retry ? t - g->t_eom - conn - 200 : 10, d2, sizeof(d2));
	fmt_delay(conn, d3, sizeof(d3));
	fmt_delay(t - g->t_eom - conn - (retry ? t - g->t_eom - conn - 200 : 10) - 10,
	    d4, sizeof(d4));
	switch (out) {
	case SIM_UNKNOWN:
		snprintf(status, sizeof(status), "dsn=5.1.1, status=bounced "
		    "(host mx.%s[192.0.2.%u] said: 550 5.1.1 <%s>: Recipient address "
		    "rejected: User unknown in virtual mailbox table (in reply to RCPT "
		    "TO command))", dom, mx, rcpt);
		break;
	case SIM_REFUSED:
		snprintf(status, sizeof(status), "dsn=5.7.1, status=bounced "
		    "(host mx.%s[192.0.2.%u] said: 554 5.7.1 Service unavailable; "
		    "Client host [" RELAY_ADDR "] blocked using bl.spam.example (in "
		    "reply to RCPT TO command))", dom, mx);
		break;
	case SIM_GREYLISTED:
		snprintf(status, sizeof(status), "dsn=4.7.1, status=deferred "
		    "(host mx.%s[192.0.2.%u] said: 450 4.7.1 <%s>: Recipient address "
		    "rejected: Greylisted, please try again later (in reply to RCPT TO "
		    "command))", dom, mx, rcpt);
		break;
	default:
		snprintf(status, sizeof(status), "dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as "
		    "%08" PRIX64 "%02X)", sim_model_rng_u64(&s->rng) >> 32,
		    sim_model_rng_below(&s->rng, 256));
		break;
	}
	snprintf(text, sizeof(text), "%s: to=<%s>, relay=mx.%s[192.0.2.%u]:25, delay=%s, "
	    "delays=%s/%s/%s/%s, %s", g->qid, rcpt, dom, mx, delay, d1, d2, d3, d4, status);
	write_log(s, t, "postfix/smtp", 4000 + sim_model_rng_below(&s->rng, 1000), text);
}

/* The non-delivery notification's own delivery back to the sender. */
static void
log_ndr_delivery(struct sim *s, const struct msg *g, int64_t t)
{
	const char *sender = g->plan.sender, *dom = domain_of(sender);
	char text[1024];

	if (strcmp(dom, SIM_ISP_DOMAIN) == 0) {
		snprintf(text, sizeof(text), "%s: to=<%s>, relay=" MAILSTORE ", delay=0.13, "
		    "delays=0.01/0/0.02/0.1, dsn=2.0.0, status=sent (250 2.0.0 <%s> Saved)",
		    g->ndr_qid, sender, sender);
		write_log(s, t, "postfix/lmtp", 1300 + sim_model_rng_below(&s->rng, 50), text);
		return;
	}
	/* Forged senders mostly do not exist: the notification bounces too. */
	if (g->plan.spam && sim_model_rng_below(&s->rng, 10) < 7)
		snprintf(text, sizeof(text), "%s: to=<%s>, relay=mx.%s[192.0.2.%u]:25, delay=0.6, "
		    "delays=0.01/0/0.3/0.29, dsn=5.1.1, status=bounced (host mx.%s[192.0.2.%u] "
		    "said: 550 5.1.1 <%s>: Recipient address rejected: User unknown (in reply to "
		    "RCPT TO command))", g->ndr_qid, sender, dom, mx_host(dom), dom,
		    mx_host(dom), sender);
	else
		snprintf(text, sizeof(text), "%s: to=<%s>, relay=mx.%s[192.0.2.%u]:25, delay=0.5, "
		    "delays=0.01/0/0.3/0.19, dsn=2.0.0, status=sent (250 2.0.0 Ok)", g->ndr_qid,
		    sender, dom, mx_host(dom));
	write_log(s, t, "postfix/smtp", 4000 + sim_model_rng_below(&s->rng, 1000), text);
}

static void
message_event(struct sim *s, const struct ev *e)
{
	struct msg *g = e->msg;
	const struct sim_msg_plan *p = &g->plan;
	char text[1024];

	switch (e->type) {
	case EV_RCPT:
		write_policy(s, g, e->t, false, e->idx);
		break;
	case EV_CLIENT:
		snprintf(text, sizeof(text), "%s: client=%s[%s]%s%s", g->qid, p->client_name,
		    p->client_addr, p->sasl ? ", sasl_method=PLAIN, sasl_username=" : "",
		    p->sasl ? sim_model_user(&s->m, g->cust) : "");
		write_log(s, e->t, p->sasl ? "postfix/submission/smtpd" : "postfix/smtpd",
		    g->smtpd_pid, text);
		break;
	case EV_MSGID:
		snprintf(text, sizeof(text), "%s: message-id=<%" PRIx64 ".%s@%s>", g->qid,
		    (uint64_t)g->t0, g->instance, domain_of(p->sender));
		write_log(s, e->t, "postfix/cleanup", 1500 + g->smtpd_pid % 100, text);
		break;
	case EV_EOM:
		write_policy(s, g, e->t, true, 0);
		break;
	case EV_QMGR:
	case EV_RETRY_QMGR:
		snprintf(text, sizeof(text), "%s: from=<%s>, size=%u, nrcpt=%u (queue active)",
		    g->qid, p->sender, p->size + 600, e->type == EV_QMGR ? p->n_rcpt : g->n_grey);
		write_log(s, e->t, "postfix/qmgr", 977, text);
		break;
	case EV_DELIVER:
	case EV_RETRY_DELIVER:
		log_delivery(s, g, e->t, e->idx, e->type == EV_RETRY_DELIVER);
		break;
	case EV_NOTIFY:
		snprintf(text, sizeof(text), "%s: sender non-delivery notification: %s",
		    g->qid, g->ndr_qid);
		write_log(s, e->t, "postfix/bounce", 1201, text);
		break;
	case EV_NDR_QMGR:
		snprintf(text, sizeof(text), "%s: from=<>, size=%u, nrcpt=1 (queue active)",
		    g->ndr_qid, 3200 + p->size / 8);
		write_log(s, e->t, "postfix/qmgr", 977, text);
		break;
	case EV_NDR_DELIVER:
		log_ndr_delivery(s, g, e->t);
		break;
	case EV_NDR_REMOVED:
	case EV_REMOVED:
		snprintf(text, sizeof(text), "%s: removed",
		    e->type == EV_REMOVED ? g->qid : g->ndr_qid);
		write_log(s, e->t, "postfix/qmgr", 977, text);
		break;
	default:
		break;
	}
	if (--g->refs == 0)
		xfree(g);
}

/* ---- the command ------------------------------------------------------ */

static int
run(struct sim *s)
{
	struct sim_msg_plan plan;
	unsigned i;
	int a;

	for (i = 0; i < s->m.p.customers; i++)
		for (a = 0; a < 2; a++) {
			int64_t t = sim_model_first(&s->m, i, a);

			if (t == INT64_MAX || t >= s->m.end_ms)
				continue;
			if (heap_push(s, t, NULL, i, (uint16_t)a, 0) != 0)
				return -1;
		}
	while (s->n > 0 && !s->write_err) {
		struct ev e = heap_pop(s);
		int64_t next;

		if (e.msg != NULL) {
			message_event(s, &e);
			continue;
		}
		if (sim_model_act(&s->m, e.cust, e.type, e.t, &plan, &next) &&
		    start_message(s, e.cust, e.t, &plan) != 0)
			return -1;
		if (next != INT64_MAX && heap_push(s, next, NULL, e.cust, e.type, 0) != 0)
			return -1;
	}
	out_flush(s);
	return 0;
}

static void
simulate_usage(FILE *out)
{
	fprintf(out, "usage: relayguard simulate [--customers N] [--compromised K] [--days D]\n"
	    "           [--seed S] [--start EPOCH] [-o FILE]\n"
	    "           [--scenario standard|high-rate|low-slow|stolen-account|business-relay]\n"
	    "defaults: 1000 customers, 10 compromised, 2 days, seed 1, standard,\n"
	    "          start 1764460800\n");
}

static bool
parse_num(const char *opt, const char *text, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v < lo || v > hi) {
		fprintf(stderr, "relayguard: simulate: --%s %s: want a number from %" PRIu64
		    " to %" PRIu64 "\n", opt, text, lo, hi);
		return false;
	}
	*out = v;
	return true;
}

int
simulate_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "customers", required_argument, NULL, 'n' },
		{ "compromised", required_argument, NULL, 'k' },
		{ "days", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 's' },
		{ "scenario", required_argument, NULL, 'S' },
		{ "start", required_argument, NULL, 'T' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sim_params p = { 1000, 10, 2, 1, SIM_ATTACK_MIX, 1764460800000LL };
	const char *out_path = NULL;
	struct sim s;
	char err[256];
	uint64_t v;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!parse_num("customers", optarg, 1, 1000000, &v))
				return 2;
			p.customers = (unsigned)v;
			break;
		case 'k':
			if (!parse_num("compromised", optarg, 0, 1000000, &v))
				return 2;
			p.compromised = (unsigned)v;
			break;
		case 'd':
			if (!parse_num("days", optarg, 1, 366, &v))
				return 2;
			p.days = (unsigned)v;
			break;
		case 's':
			if (!parse_num("seed", optarg, 0, UINT64_MAX, &p.seed))
				return 2;
			break;
		case 'T':
			if (!parse_num("start", optarg, 0, 100000000000ull, &v))
				return 2;
			p.start_ms = (int64_t)v * 1000;
			break;
		case 'S':
			if (!sim_model_scenario_parse(optarg, &p.scenario)) {
				fprintf(stderr, "relayguard: simulate: --scenario %s: unknown\n",
				    optarg);
				simulate_usage(stderr);
				return 2;
			}
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'h':
			simulate_usage(stdout);
			return 0;
		default:
			simulate_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		simulate_usage(stderr);
		return 2;
	}
	memset(&s, 0, sizeof(s));
	if (sim_model_init(&s.m, &p, err, sizeof(err)) != 0) {
		fprintf(stderr, "relayguard: simulate: %s\n", err);
		return 2;
	}
	sim_model_rng_seed(&s.rng, p.seed, 0x706f73746669ull);
	s.ts_sec = -1;
	s.f = out_path ? fopen(out_path, "w") : stdout;
	s.buf = xmalloc(OUT_CAP);
	if (s.f == NULL || s.buf == NULL) {
		fprintf(stderr, "relayguard: simulate: %s: cannot write\n",
		    out_path ? out_path : "-");
		rc = 1;
	} else if (run(&s) != 0) {
		fprintf(stderr, "relayguard: simulate: out of memory\n");
		rc = 1;
	} else {
		rc = s.write_err || fflush(s.f) != 0 ? 1 : 0;
		if (rc != 0)
			fprintf(stderr, "relayguard: simulate: writing the trace failed\n");
	}
	while (s.n > 0) {
		struct ev e = heap_pop(&s);

		if (e.msg != NULL && --e.msg->refs == 0)
			xfree(e.msg);
	}
	if (out_path && s.f != NULL)
		fclose(s.f);
	xfree(s.heap);
	xfree(s.buf);
	sim_model_fini(&s.m);
	return rc;
}
