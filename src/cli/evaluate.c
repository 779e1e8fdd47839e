/*
 * evaluate.c - `relayguard evaluate -c FILE [--json] INPUT`: replay a
 * trace with ground truth through the engine, exactly as `relayguard
 * replay` does (replay_run.c), and score the decisions and incidents
 * against the truth (SPEC section 6).
 *
 * Definitions (doc/simulate.md repeats them):
 *
 *   customer     truth.customer.  Compromised: any of its requests has
 *                truth.spam; its scenario is the truth.scenario of its
 *                first spam request (else its kind).  Legitimate: none
 *                has; its kind is truth.kind of its first request.
 *   message      one instance (a request without one is a message alone).
 *                It was accepted when it was not held (HOLD at any
 *                state), not refused at DATA or END-OF-MESSAGE, and at
 *                least one RCPT was accepted (DUNNO, OK, WARN, PREPEND,
 *                ...); deferred when any request got DEFER* or a 4xx.
 *   detected     an incident was opened for the customer (the engine's
 *                incident callback; zero until detection runs).
 *   stopped      detected, or the first HOLD, REJECT or DEFER of one of
 *                its spam messages (a rate limit), whichever came first.
 *   spam accepted before stopped  spam messages accepted whose first
 *                request came before the customer was stopped (all of
 *                them if it never was); median and p95 over the
 *                compromised customers, nearest rank.
 *   times        from the customer's first spam request to its incident,
 *                and to its stop; over the customers that have one.
 *   legitimate   customers with any message held or rejected, or with an
 *                incident; their messages deferred.
 *
 * Output: a fixed-format text table (deterministic: sorted by name, no
 * clock, no addresses), or with --json one JSON object with the same
 * numbers.  Exit 0; 1 when the input had malformed lines (the report is
 * printed all the same) or could not be read; 2 on bad usage or config.
 *
 * Memory: about 60 bytes and the instance per message and 100 bytes per
 * customer, kept for the whole trace (the medians need every customer).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/replay_run.h"
#include "lib/hash.h"
#include "lib/htab.h"
#include "lib/json_esc.h"
#include "lib/xmalloc.h"


enum act { ACT_ACCEPT, ACT_DEFER, ACT_REJECT, ACT_HOLD };

struct ecust {
	char *scenario;			/* owned; compromised customers */
	char *kind;			/* owned */
	bool compromised;
	bool legit_hit;			/* a legitimate message held or rejected */
	double first_spam_t, incident_t, stop_t;	/* INFINITY: none */
	unsigned long spam_msgs, spam_acc_before, spam_acc_total;
	unsigned long msgs, deferred;	/* legitimate messages */
	char key[];			/* truth.customer */
};

struct emsg {
	struct ecust *cust;
	double t_first;
	bool spam, held, refused, deferred, eom_ok;
	uint32_t rcpt_seen, rcpt_ok;
	char instance[];
};

struct eval {
	struct htab custs, msgs;
	struct ecust **cv;		/* every customer, in arrival order */
	size_t n_cv, cap_cv;
	struct emsg **mv;
	size_t n_mv, cap_mv;
	unsigned long no_truth, key_mismatch, incidents, incidents_unknown;
	unsigned long anon;		/* requests without an instance */
	int nomem;
};

static bool
cust_eq(const void *item, const void *key)
{
	return strcmp(((const struct ecust *)item)->key, key) == 0;
}

static bool
msg_eq(const void *item, const void *key)
{
	return strcmp(((const struct emsg *)item)->instance, key) == 0;
}

static int
push_ptr(void ***v, size_t *n, size_t *cap, void *p)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 1024;
		void **nv = xreallocarray(*v, c, sizeof(*nv));

		if (nv == NULL)
			return -1;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = p;
	return 0;
}

static struct ecust *
cust_get(struct eval *e, const char *key, bool create)
{
	uint64_t h = hash_bytes(key, strlen(key), 0);
	struct ecust *c = htab_find(&e->custs, h, cust_eq, key);
	size_t len = strlen(key);

	if (c != NULL || !create)
		return c;
	if ((c = xcalloc(1, sizeof(*c) + len + 1)) == NULL)
		return NULL;
	memcpy(c->key, key, len + 1);
	c->first_spam_t = c->incident_t = c->stop_t = INFINITY;
	if (htab_insert(&e->custs, h, c) != 0 ||
	    push_ptr((void ***)&e->cv, &e->n_cv, &e->cap_cv, c) != 0) {
		htab_remove(&e->custs, h, c);
		xfree(c);
		return NULL;
	}
	return c;
}

static struct emsg *
msg_get(struct eval *e, const char *instance, struct ecust *c, double t)
{
	char anon[32];
	uint64_t h;
	struct emsg *m;
	size_t len;

	if (instance[0] == '\0') {
		snprintf(anon, sizeof(anon), "\001%lu", ++e->anon);
		instance = anon;
	}
	len = strlen(instance);
	h = hash_bytes(instance, len, 0);
	if ((m = htab_find(&e->msgs, h, msg_eq, instance)) != NULL)
		return m;
	if ((m = xcalloc(1, sizeof(*m) + len + 1)) == NULL)
		return NULL;
	memcpy(m->instance, instance, len + 1);
	m->cust = c;
	m->t_first = t;
	if (htab_insert(&e->msgs, h, m) != 0 ||
	    push_ptr((void ***)&e->mv, &e->n_mv, &e->cap_mv, m) != 0) {
		htab_remove(&e->msgs, h, m);
		xfree(m);
		return NULL;
	}
	return m;
}

/* The class of a Postfix access action (first word, or SMTP code). */
static enum act
classify(const char *action)
{
	size_t n = strcspn(action, " \t");

	if ((n == 4 && strncasecmp(action, "HOLD", 4) == 0))
		return ACT_HOLD;
	if ((n >= 5 && strncasecmp(action, "DEFER", 5) == 0) || action[0] == '4')
		return ACT_DEFER;
	if ((n == 6 && strncasecmp(action, "REJECT", 6) == 0) || action[0] == '5' ||
	    (n == 7 && strncasecmp(action, "DISCARD", 7) == 0))
		return ACT_REJECT;
	return ACT_ACCEPT;
}

static char *
dup_or(const char *s, const char *dflt)
{
	return xstrdup(s != NULL && s[0] != '\0' ? s : dflt);
}

static int
on_decision(void *ctx, const struct replay_run_decision *d)
{
	struct eval *e = ctx;
	const struct trace_event *ev = d->ev;
	enum act act = classify(d->verdict->action);
	bool spam = ev->truth_spam, eom;
	struct ecust *c;
	struct emsg *m;

	if (!ev->has_truth) {
		e->no_truth++;
		return 0;
	}
	if (strcmp(d->verdict->customer, ev->truth_customer) != 0)
		e->key_mismatch++;
	if ((c = cust_get(e, ev->truth_customer, true)) == NULL ||
	    (m = msg_get(e, d->instance, c, d->t)) == NULL) {
		e->nomem = 1;
		return 1;
	}
	if (c->kind == NULL && !spam && (c->kind = dup_or(ev->truth_kind, "unknown")) == NULL)
		e->nomem = 1;
	if (spam && !c->compromised) {
		c->compromised = true;
		c->first_spam_t = d->t;
		c->scenario = dup_or(ev->truth_scenario && strcmp(ev->truth_scenario, "none") != 0 ?
		    ev->truth_scenario : ev->truth_kind, "unknown");
		if (c->scenario == NULL)
			e->nomem = 1;
	}
	m->spam |= spam;
	if (spam && act != ACT_ACCEPT && d->t < c->stop_t)
		c->stop_t = d->t;
	if (!spam && (act == ACT_HOLD || act == ACT_REJECT))
		c->legit_hit = true;
	eom = strcmp(d->state, "END-OF-MESSAGE") == 0 || strcmp(d->state, "DATA") == 0;
	if (!eom)
		m->rcpt_seen++;
	switch (act) {
	case ACT_ACCEPT:
		if (eom)
			m->eom_ok = true;
		else
			m->rcpt_ok++;
		break;
	case ACT_DEFER:
		m->deferred = true;
		m->refused |= eom;
		break;
	case ACT_REJECT:
		m->refused |= eom;
		break;
	case ACT_HOLD:
		m->held = true;
		break;
	}
	return e->nomem;
}

static void
on_incident(void *ctx, double t, const char *customer, const char *reason)
{
	struct eval *e = ctx;
	struct ecust *c = cust_get(e, customer, false);

	(void)reason;
	e->incidents++;
	if (c == NULL) {
		e->incidents_unknown++;
		return;
	}
	if (t < c->incident_t)
		c->incident_t = t;
	if (t < c->stop_t)
		c->stop_t = t;
}

/* Per message, once the trace is over. */
static void
tally(struct eval *e)
{
	size_t i;

	for (i = 0; i < e->n_mv; i++) {
		struct emsg *m = e->mv[i];
		struct ecust *c = m->cust;
		bool accepted = !m->held && !m->refused &&
		    (m->rcpt_ok > 0 || (m->rcpt_seen == 0 && m->eom_ok));

		if (m->spam) {
			c->spam_msgs++;
			if (accepted) {
				c->spam_acc_total++;
				if (m->t_first < c->stop_t)
					c->spam_acc_before++;
			}
		} else {
			c->msgs++;
			c->deferred += m->deferred;
		}
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of n values (sorted here); NAN when n == 0. */
static double
pct(double *v, size_t n, double p)
{
	size_t k;

	if (n == 0)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	k = (size_t)ceil(p / 100.0 * (double)n);
	return v[k > 0 ? k - 1 : 0];
}

/* One row of the compromised table: customers whose scenario is name (NULL: all). */
struct crow {
	const char *name;
	unsigned long n, detected, stopped, spam;
	/* median and p95 of: accepted before stop, accepted in all, time to
	 * incident, time to stop */
	double q[4][2];
};

struct lrow {
	const char *name;
	unsigned long n, hit, incident, msgs, deferred;
};

static int
crow_fill(struct eval *e, struct crow *r, const char *name, double *tmp)
{
	size_t i, k;

	memset(r, 0, sizeof(*r));
	r->name = name ? name : "overall";
	for (i = 0; i < e->n_cv; i++) {
		struct ecust *c = e->cv[i];

		if (!c->compromised || (name && strcmp(c->scenario, name) != 0))
			continue;
		r->n++;
		r->detected += isfinite(c->incident_t);
		r->stopped += isfinite(c->stop_t);
		r->spam += c->spam_msgs;
	}
	for (k = 0; k < 4; k++) {
		size_t n = 0;

		for (i = 0; i < e->n_cv; i++) {
			struct ecust *c = e->cv[i];
			double v[4] = { (double)c->spam_acc_before, (double)c->spam_acc_total,
			    c->incident_t - c->first_spam_t, c->stop_t - c->first_spam_t };

			if (!c->compromised || (name && strcmp(c->scenario, name) != 0))
				continue;
			if (!isfinite(v[k]))
				continue;
			tmp[n++] = v[k] < 0 ? 0 : v[k];
		}
		r->q[k][0] = pct(tmp, n, 50);
		r->q[k][1] = pct(tmp, n, 95);
	}
	return 0;
}

static void
lrow_fill(struct eval *e, struct lrow *r, const char *name)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->name = name ? name : "overall";
	for (i = 0; i < e->n_cv; i++) {
		struct ecust *c = e->cv[i];

		if (c->compromised || (name && strcmp(c->kind ? c->kind : "unknown", name) != 0))
			continue;
		r->n++;
		r->hit += c->legit_hit;
		r->incident += isfinite(c->incident_t);
		r->msgs += c->msgs;
		r->deferred += c->deferred;
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The distinct scenario (compromised) or kind (legitimate) names, sorted. */
static size_t
names(struct eval *e, bool compromised, const char **out)
{
	size_t i, k, n = 0;

	for (i = 0; i < e->n_cv; i++) {
		struct ecust *c = e->cv[i];
		const char *s = compromised ? c->scenario : (c->kind ? c->kind : "unknown");

		if (c->compromised != compromised)
			continue;
		for (k = 0; k < n && strcmp(out[k], s) != 0; k++)
			;
		if (k == n)
			out[n++] = s;
	}
	qsort(out, n, sizeof(*out), cmp_str);
	return n;
}

/* A duration in seconds as "45.2s", "12m05s", "3h12m"; "-" for none. */
static void
fmt_dur(double s, char *buf, size_t cap)
{
	if (isnan(s))
		snprintf(buf, cap, "-");
	else if (s < 60)
		snprintf(buf, cap, "%.1fs", s);
	else if (s < 3600)
		snprintf(buf, cap, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
	else
		snprintf(buf, cap, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

static void
fmt_num(double v, char *buf, size_t cap)
{
	if (isnan(v))
		snprintf(buf, cap, "-");
	else
		snprintf(buf, cap, "%.0f", v);
}

static double
percent(unsigned long a, unsigned long b)
{
	return b ? 100.0 * (double)a / (double)b : 0;
}

static void
print_crow(FILE *out, const struct crow *r)
{
	char am[16], ap[16], tm[16], tp[16], im[16], ip[16], sm[16], sp[16];

	fmt_num(r->q[0][0], am, sizeof(am));
	fmt_num(r->q[0][1], ap, sizeof(ap));
	fmt_num(r->q[1][0], tm, sizeof(tm));
	fmt_num(r->q[1][1], tp, sizeof(tp));
	fmt_dur(r->q[2][0], im, sizeof(im));
	fmt_dur(r->q[2][1], ip, sizeof(ip));
	fmt_dur(r->q[3][0], sm, sizeof(sm));
	fmt_dur(r->q[3][1], sp, sizeof(sp));
	fprintf(out, "  %-16s %5lu %5lu %6.1f%% %5lu %6.1f%% %8lu "
	    "%6s %6s %6s %6s %7s %7s %7s %7s\n", r->name, r->n, r->detected,
	    percent(r->detected, r->n), r->stopped, percent(r->stopped, r->n), r->spam,
	    am, ap, tm, tp, im, ip, sm, sp);
}

static void
print_lrow(FILE *out, const struct lrow *r)
{
	fprintf(out, "  %-18s %6lu %6lu %7.3f%% %6lu %7.3f%% %9lu %7lu %7.3f%%\n", r->name, r->n,
	    r->hit, percent(r->hit, r->n), r->incident, percent(r->incident, r->n), r->msgs,
	    r->deferred, percent(r->deferred, r->msgs));
}

static void
json_num(FILE *out, const char *name, double v, bool comma)
{
	if (isnan(v))
		fprintf(out, "\"%s\": null%s", name, comma ? ", " : "");
	else
		fprintf(out, "\"%s\": %.3f%s", name, v, comma ? ", " : "");
}

static void
json_str(FILE *out, const char *s)
{
	char buf[1024];

	if (json_esc_write(buf, sizeof(buf), s, strlen(s)) < 0)
		buf[0] = '\0';
	fprintf(out, "\"%s\"", buf);
}

static void
json_crow(FILE *out, const struct crow *r, bool comma)
{
	static const char *const names_q[4] = {
		"spam_accepted_before_stop", "spam_accepted_total",
		"first_spam_to_incident_s", "first_spam_to_stop_s"
	};
	int k;

	fprintf(out, "    {\"scenario\": ");
	json_str(out, r->name);
	fprintf(out, ", \"customers\": %lu, \"detected\": %lu, \"detected_pct\": %.3f, "
	    "\"stopped\": %lu, \"stopped_pct\": %.3f, \"spam_messages\": %lu, ", r->n, r->detected,
	    percent(r->detected, r->n), r->stopped, percent(r->stopped, r->n), r->spam);
	for (k = 0; k < 4; k++) {
		fprintf(out, "%s\"%s\": {", k ? ", " : "", names_q[k]);
		json_num(out, "median", r->q[k][0], true);
		json_num(out, "p95", r->q[k][1], false);
		fprintf(out, "}");
	}
	fprintf(out, "}%s\n", comma ? "," : "");
}

static void
json_lrow(FILE *out, const struct lrow *r, bool comma)
{
	fprintf(out, "    {\"kind\": ");
	json_str(out, r->name);
	fprintf(out, ", \"customers\": %lu, \"held_or_rejected\": %lu, "
	    "\"held_or_rejected_pct\": %.3f, \"incidents\": %lu, \"incidents_pct\": %.3f, "
	    "\"messages\": %lu, \"deferred\": %lu, "
	    "\"deferred_pct\": %.3f}%s\n", r->n, r->hit, percent(r->hit, r->n), r->incident,
	    percent(r->incident, r->n), r->msgs, r->deferred, percent(r->deferred, r->msgs),
	    comma ? "," : "");
}

static int
report(struct eval *e, FILE *out, const char *input, const struct replay_run_stats *st, bool json)
{
	const char **cn = xcalloc(e->n_cv + 1, sizeof(*cn));
	const char **ln = xcalloc(e->n_cv + 1, sizeof(*ln));
	double *tmp = xcalloc(e->n_cv + 1, sizeof(*tmp));
	size_t ncn, nln, i;
	unsigned long ncomp = 0;
	struct crow cr;
	struct lrow lr;

	if (cn == NULL || ln == NULL || tmp == NULL) {
		xfree(cn);
		xfree(ln);
		xfree(tmp);
		return -1;
	}
	for (i = 0; i < e->n_cv; i++)
		ncomp += e->cv[i]->compromised;
	ncn = names(e, true, cn);
	nln = names(e, false, ln);
	if (json) {
		fprintf(out, "{\"input\": ");
		json_str(out, input);
		fprintf(out, ", \"policy_requests\": %lu, \"log_lines\": %lu, "
		    "\"log_lines_not_understood\": %lu, \"malformed_lines\": %lu, "
		    "\"requests_without_truth\": %lu, \"customer_key_mismatches\": %lu, "
		    "\"customers\": %zu, \"legitimate\": %zu, \"compromised\": %lu, "
		    "\"incidents\": %lu, \"incidents_unknown_customer\": %lu,\n"
		    "  \"compromised_by_scenario\": [\n", st->policy_events, st->log_events,
		    st->bad_log_lines, st->bad_lines, e->no_truth, e->key_mismatch, e->n_cv,
		    e->n_cv - ncomp, ncomp, e->incidents, e->incidents_unknown);
		for (i = 0; i <= ncn; i++) {
			crow_fill(e, &cr, i < ncn ? cn[i] : NULL, tmp);
			json_crow(out, &cr, i < ncn);
		}
		fprintf(out, "  ],\n  \"legitimate_by_kind\": [\n");
		for (i = 0; i <= nln; i++) {
			lrow_fill(e, &lr, i < nln ? ln[i] : NULL);
			json_lrow(out, &lr, i < nln);
		}
		fprintf(out, "  ]\n}\n");
	} else {
		fprintf(out, "relayguard evaluate: %s\n", input);
		fprintf(out, "events: %lu policy requests, %lu log lines (%lu not understood), "
		    "%lu malformed lines\n", st->policy_events, st->log_events, st->bad_log_lines,
		    st->bad_lines);
		fprintf(out, "truth: %lu requests without truth, %lu customer key mismatches\n",
		    e->no_truth, e->key_mismatch);
		fprintf(out, "customers: %zu (%zu legitimate, %lu compromised); incidents: %lu "
		    "(%lu for customers not in the trace)\n\n", e->n_cv, e->n_cv - ncomp, ncomp,
		    e->incidents, e->incidents_unknown);
		fprintf(out, "%-61s %27s %32s\n", "compromised customers",
		    "spam accepted per customer", "time from first spam to");
		fprintf(out, "  %-16s %5s %13s %13s %8s %13s %13s %15s %15s\n", "scenario", "custs",
		    "detected", "stopped", "spam", "before stop", "in all", "incident", "stop");
		fprintf(out, "  %-16s %5s %13s %13s %8s %6s %6s %6s %6s %7s %7s %7s %7s\n",
		    "", "", "", "", "msgs", "median", "p95", "median", "p95", "median", "p95",
		    "median", "p95");
		for (i = 0; i <= ncn; i++) {
			crow_fill(e, &cr, i < ncn ? cn[i] : NULL, tmp);
			print_crow(out, &cr);
		}
		fprintf(out, "\nlegitimate customers\n");
		fprintf(out, "  %-18s %6s %15s %15s %9s %16s\n", "kind", "custs", "held/rejected",
		    "incident", "messages", "deferred");
		for (i = 0; i <= nln; i++) {
			lrow_fill(e, &lr, i < nln ? ln[i] : NULL);
			print_lrow(out, &lr);
		}
		fprintf(out, "\nstopped: detected, or the first HOLD/REJECT/DEFER of a spam "
		    "message\n");
	}
	xfree(cn);
	xfree(ln);
	xfree(tmp);
	return ferror(out) ? -1 : 0;
}

static void
eval_fini(struct eval *e)
{
	size_t i;

	for (i = 0; i < e->n_cv; i++) {
		xfree(e->cv[i]->scenario);
		xfree(e->cv[i]->kind);
		xfree(e->cv[i]);
	}
	for (i = 0; i < e->n_mv; i++)
		xfree(e->mv[i]);
	xfree(e->cv);
	xfree(e->mv);
	htab_fini(&e->custs);
	htab_fini(&e->msgs);
}

static void
evaluate_usage(FILE *out)
{
	fprintf(out, "usage: relayguard evaluate [-c FILE] [--json] INPUT|-\n");
}

int
evaluate_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = CONF_DEFAULT_PATH;
	struct replay_run_opts opts = { 0 };
	struct replay_run_cb cb = { 0 };
	struct replay_run_stats st;
	struct engine *engine;
	struct conf *conf;
	struct eval e;
	bool json = false;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			evaluate_usage(stdout);
			return 0;
		default:
			evaluate_usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		evaluate_usage(stderr);
		return 2;
	}
	if ((rc = replay_run_setup(path, &conf, &engine)) != 0)
		return rc;
	memset(&e, 0, sizeof(e));
	if (htab_init(&e.custs, 1024) != 0 || htab_init(&e.msgs, 1 << 16) != 0) {
		fprintf(stderr, "relayguard: out of memory\n");
		rc = 1;
		goto out;
	}
	opts.input = argv[optind];
	opts.format = REPLAY_RUN_TRACE;
	opts.progress = isatty(STDERR_FILENO);
	cb.ctx = &e;
	cb.on_decision = on_decision;
	cb.on_incident = on_incident;
	rc = replay_run(engine, &opts, &cb, &st);
	if (e.nomem) {
		fprintf(stderr, "relayguard: out of memory\n");
		rc = 1;
		goto out;
	}
	if (rc != 0)
		goto out;
	tally(&e);
	if (report(&e, stdout, opts.input, &st, json) != 0 || fflush(stdout) != 0) {
		fprintf(stderr, "relayguard: writing the report failed\n");
		rc = 1;
	} else if (st.bad_lines > 0) {
		fprintf(stderr, "relayguard: %s: %lu malformed lines skipped\n", opts.input,
		    st.bad_lines);
		rc = 1;
	}
out:
	eval_fini(&e);
	engine_free(engine);
	conf_free(conf);
	return rc;
}
