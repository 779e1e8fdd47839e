/*
 * detect_evidence.c - an incident's evidence as JSON (detect.h):
 *
 *   {"llr": 7.12, "threshold": 6.89, "messages": 4, "recipients": 37,
 *    "since": 1764460800.250,
 *    "signals": {"rcpt_novel": {"llr": 2.10, "count": 37}, ...},
 *    "sample_recipients": ["a@b.example", ...],
 *    "client_addresses": ["100.64.1.2", ...],
 *    "per_minute": [0, 3, 12, ...],
 *    "baseline": {"peak_per_10min": 4.0, "novel_rate": 0.31, ...}}
 *
 * Signals that did not take part are left out; per_minute is the
 * messages of each of the last DETECT_RATE_MIN minutes, oldest first.
 * Strings are JSON-escaped (json_esc.h).  The text is at most a few KiB
 * (samples are cut to DETECT_SAMPLE_LEN bytes).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/detect.h"
#include "lib/err.h"
#include "lib/json_esc.h"

struct ev_buf {
	char *p;
	size_t cap, len;
	bool over;
};

static void ev_printf(struct ev_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
ev_printf(struct ev_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->over)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len)
		b->over = true;
	else
		b->len += (size_t)n;
}

static void
ev_str(struct ev_buf *b, const char *s)
{
	int n;

	ev_printf(b, "\"");
	if (b->over)
		return;
	n = json_esc_write(b->p + b->len, b->cap - b->len, s, strlen(s));
	if (n < 0)
		b->over = true;
	else
		b->len += (size_t)n;
	ev_printf(b, "\"");
}

static void
ev_act(struct ev_buf *b, const struct detect_act *a, int64_t now_us)
{
	char addr[IPADDR_STRLEN];
	uint32_t m = (uint32_t)(now_us / 60000000), first, i;
	bool comma = false;

	ev_printf(b, ", \"recipients\": %u, \"since\": %.3f, \"signals\": {",
	    a->recipients, (double)a->started_us / 1e6);
	for (i = 0; i < DETECT_SIG__COUNT; i++) {
		if (a->sig_n[i] == 0)
			continue;
		ev_printf(b, "%s\"%s\": {\"llr\": %.2f, \"count\": %u}",
		    comma ? ", " : "", detect_sig_name(i),
		    (double)a->sig_llr[i], a->sig_n[i]);
		comma = true;
	}
	ev_printf(b, "}, \"sample_recipients\": [");
	for (i = 0; i < a->n_samples; i++) {
		ev_printf(b, "%s", i ? ", " : "");
		ev_str(b, a->samples[i]);
	}
	ev_printf(b, "], \"client_addresses\": [");
	for (i = 0; i < a->n_addrs; i++) {
		ipaddr_format(&a->addrs[i], addr, sizeof(addr));
		ev_printf(b, "%s\"%s\"", i ? ", " : "", addr);
	}
	ev_printf(b, "], \"per_minute\": [");
	/* The last DETECT_RATE_MIN minutes up to now (or the last message). */
	if (m < a->rate_minute + DETECT_RATE_MIN - 1)
		m = a->rate_minute + DETECT_RATE_MIN - 1;
	first = m - (DETECT_RATE_MIN - 1);
	for (i = 0; i < DETECT_RATE_MIN; i++) {
		uint32_t k = first + i;
		unsigned v = k >= a->rate_minute &&
		    k - a->rate_minute < DETECT_RATE_MIN ?
		    a->rate[k - a->rate_minute] : 0;

		ev_printf(b, "%s%u", i ? ", " : "", v);
	}
	ev_printf(b, "]");
}

int
detect_evidence(const struct detect_cust *c, const struct detect_params *p,
    int64_t now_us, char *buf, size_t cap)
{
	struct ev_buf b = { buf, cap, 0, cap == 0 };

	ev_printf(&b, "{\"llr\": %.2f, \"threshold\": %.2f, \"messages\": %u",
	    (double)c->sprt.llr, (double)p->sprt.a, c->sprt.n);
	if (c->act != NULL)
		ev_act(&b, c->act, now_us);
	ev_printf(&b, ", \"baseline\": {\"messages\": %u, \"peak_per_10min\": "
	    "%.1f, \"active_slots\": %u, \"novel_rate\": %.2f, "
	    "\"novel_domain_rate\": %.2f, \"new_sender_rate\": %.2f, "
	    "\"off_hours_rate\": %.2f, \"unknown_user_rate\": %.3f, "
	    "\"recipients_per_message\": %.1f}}",
	    c->messages, (double)c->base_msgs, c->active_hours,
	    (double)c->rate_novel, (double)c->rate_dom_novel,
	    (double)c->rate_sender_new, (double)c->rate_off,
	    (double)c->rate_unknown, (double)c->base_rpm);
	if (b.over) {
		if (cap > 0)
			buf[0] = '\0';
		return ERR_TOOBIG;
	}
	return (int)b.len;
}
