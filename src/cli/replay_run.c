/*
 * replay_run.c - the offline replay loop shared by `relayguard replay`
 * and `relayguard evaluate` (replay_run.h).
 *
 * One line buffer (the larger of the trace and maillog line limits) is
 * allocated per run; the trace parser reuses its document from line to
 * line, so a long replay allocates nothing per event outside the engine.
 * Lines over the limit are reported and skipped whole.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "cli/cli.h"
#include "cli/replay_run.h"
#include "engine/incident_fmt.h"
#include "lib/file.h"
#include "lib/xmalloc.h"
#include "proto/maillog.h"

#define REPLAY_RUN_LINE_MAX (TRACE_LINE_MAX > MAILLOG_LINE_MAX ? TRACE_LINE_MAX : MAILLOG_LINE_MAX)
#define REPLAY_RUN_EXPIRE_US (60 * 1000000LL)

struct run {
	struct engine *engine;
	const struct replay_run_opts *opts;
	const struct replay_run_cb *cb;
	struct replay_run_stats *stats;
	gzFile in;
	uint64_t input_size;		/* 0 when unknown (stdin) */
	char *line;			/* REPLAY_RUN_LINE_MAX + 2 */
	char *relog;			/* a log line given a syslog header */
	struct maillog_clock clock;
	int64_t next_expire_us;
};

int
replay_run_setup(const char *conf_path, struct conf **conf, struct engine **engine)
{
	char err[CONF_ERR_MAX];

	if ((*conf = cli_load_conf(conf_path)) == NULL)
		return 2;
	if ((*engine = engine_new(*conf, err, sizeof(err))) == NULL) {
		fprintf(stderr, "relayguard: %s: %s\n", conf_path, err);
		conf_free(*conf);
		return 2;
	}
	if (cli_load_overrides(*engine, *conf) != 0) {
		engine_free(*engine);
		conf_free(*conf);
		return 2;
	}
	return 0;
}

static void
run_progress(struct run *r, int done)
{
	unsigned pct, i;

	if (!r->opts->progress || r->input_size == 0)
		return;
	pct = done ? 100 : (unsigned)((uint64_t)gzoffset(r->in) * 100 / r->input_size);
	if (pct > 100)
		pct = 100;
	fprintf(stderr, "\r[");
	for (i = 0; i < 40; i++)
		fputc(i < pct * 40 / 100 ? '#' : ' ', stderr);
	fprintf(stderr, "] %3u%% %lu lines", pct, r->stats->lines);
	if (done)
		fputc('\n', stderr);
}

static void
run_warn(struct run *r, const char *what, const char *reason, size_t offset)
{
	unsigned long n = r->stats->bad_lines + r->stats->bad_log_lines;

	if (n <= REPLAY_RUN_MAX_WARNINGS) {
		fprintf(stderr, "%srelayguard: %s:%lu: %s%s", r->opts->progress ? "\n" : "",
		    r->opts->input, r->stats->lines, what, reason);
		if (offset != (size_t)-1)
			fprintf(stderr, " (at byte %zu)", offset);
		fputc('\n', stderr);
	} else if (n == REPLAY_RUN_MAX_WARNINGS + 1) {
		fprintf(stderr, "relayguard: %s: more malformed lines follow; counting them only\n",
		    r->opts->input);
	}
}

/* Forget idle state once a minute of input time, as the daemon does. */
static void
run_clock(struct run *r, int64_t now_us)
{
	if (now_us >= r->next_expire_us) {
		engine_expire(r->engine, now_us);
		r->next_expire_us = now_us + REPLAY_RUN_EXPIRE_US;
	}
}

static void
run_engine_incident(void *ctx, const struct engine_incident *inc)
{
	struct run *r = ctx;

	if (inc->released_us == 0) {
		r->stats->incidents++;
		if (r->cb->on_incident)
			r->cb->on_incident(r->cb->ctx, (double)inc->opened_us / 1e6,
			    inc->customer, inc->reason ? inc->reason : "");
	}
	if (r->cb->on_engine_incident)
		r->cb->on_engine_incident(r->cb->ctx, inc);
}

static int
run_policy(struct run *r, const struct trace_event *ev)
{
	const struct policy_str *inst = &ev->attrs.attr[PA_INSTANCE];
	const struct policy_str *state = &ev->attrs.attr[PA_PROTOCOL_STATE];
	struct replay_run_decision d;
	struct engine_verdict verdict;
	char instance[512], st[64];
	int64_t now_us = (int64_t)(ev->t * 1e6 + 0.5);

	run_clock(r, now_us);
	r->stats->policy_events++;
	d.judge_rc = engine_judge(r->engine, &ev->attrs, now_us, &verdict);
	snprintf(instance, sizeof(instance), "%.*s", inst->ptr ? (int)inst->len : 0,
	    inst->ptr ? inst->ptr : "");
	snprintf(st, sizeof(st), "%.*s", state->ptr ? (int)state->len : 0,
	    state->ptr ? state->ptr : "");
	d.t = ev->t;
	d.ev = ev;
	d.verdict = &verdict;
	d.instance = instance;
	d.state = st;
	r->stats->decisions++;
	return r->cb->on_decision ? r->cb->on_decision(r->cb->ctx, &d) : 0;
}

/* A log event of a trace: its t is the time; the line may lack a header. */
static void
run_trace_log(struct run *r, const struct trace_event *ev)
{
	static const char header[] = "Jan  1 00:00:00 localhost ";
	struct maillog_rec rec;
	struct maillog_err err;
	struct maillog_clock clock;
	int64_t now_us = (int64_t)(ev->t * 1e6 + 0.5);

	maillog_clock_init(&clock, 2000, 0);
	if (maillog_parse(ev->line, ev->line_len, &clock, &rec, &err) != 0) {
		size_t off = err.offset;
		const char *reason = err.reason;

		/* Only a line that does not start with a timestamp gets one. */
		if (off != 0 || ev->line_len > MAILLOG_LINE_MAX - sizeof(header)) {
			r->stats->bad_log_lines++;
			run_warn(r, "log line: ", reason, off);
			return;
		}
		memcpy(r->relog, header, sizeof(header) - 1);
		memcpy(r->relog + sizeof(header) - 1, ev->line, ev->line_len);
		if (maillog_parse(r->relog, sizeof(header) - 1 + ev->line_len, &clock,
		    &rec, &err) != 0) {
			r->stats->bad_log_lines++;
			run_warn(r, "log line: ", reason, off);
			return;
		}
	}
	run_clock(r, now_us);
	r->stats->log_events++;
	engine_observe_log(r->engine, &rec, now_us);
}

static int
run_trace_line(struct run *r, struct trace_parser *parser, size_t len)
{
	struct trace_event ev;
	struct trace_err terr;

	if (trace_parse_line(parser, r->line, len, &ev, &terr) != 0) {
		r->stats->bad_lines++;
		run_warn(r, "", terr.msg, (size_t)-1);
		return 0;
	}
	if (ev.ev == TRACE_EV_POLICY)
		return run_policy(r, &ev);
	if (ev.ev == TRACE_EV_LOG)
		run_trace_log(r, &ev);
	return 0;
}

static void
run_maillog_line(struct run *r, size_t len)
{
	struct maillog_rec rec;
	struct maillog_err err;

	if (maillog_parse(r->line, len, &r->clock, &rec, &err) != 0) {
		r->stats->bad_lines++;
		run_warn(r, "", err.reason, err.offset);
		return;
	}
	run_clock(r, rec.time_us);
	r->stats->log_events++;
	engine_observe_log(r->engine, &rec, rec.time_us);
}

static int
run_loop(struct run *r)
{
	struct trace_parser parser;
	int rc = 0;

	trace_parser_init(&parser);
	while (gzgets(r->in, r->line, REPLAY_RUN_LINE_MAX + 2) != NULL) {
		size_t len = strlen(r->line);
		size_t limit = r->opts->format == REPLAY_RUN_TRACE ? TRACE_LINE_MAX :
		    MAILLOG_LINE_MAX;

		r->stats->lines++;
		if (len > 0 && r->line[len - 1] != '\n' && !gzeof(r->in)) {
			/* Over the buffer: report, then skip the rest of the line. */
			r->stats->bad_lines++;
			run_warn(r, "", "line exceeds the line limit; skipped", (size_t)-1);
			while (gzgets(r->in, r->line, REPLAY_RUN_LINE_MAX + 2) != NULL) {
				len = strlen(r->line);
				if (len > 0 && r->line[len - 1] == '\n')
					break;
			}
			continue;
		}
		while (len > 0 && (r->line[len - 1] == '\n' || r->line[len - 1] == '\r'))
			r->line[--len] = '\0';
		if (len == 0)
			continue;
		if (len > limit) {
			r->stats->bad_lines++;
			run_warn(r, "", "line exceeds the line limit; skipped", (size_t)-1);
			continue;
		}
		if (r->opts->format == REPLAY_RUN_MAILLOG) {
			run_maillog_line(r, len);
		} else if (run_trace_line(r, &parser, len) != 0) {
			fprintf(stderr, "%srelayguard: %s:%lu: stopped\n",
			    r->opts->progress ? "\n" : "", r->opts->input, r->stats->lines);
			rc = 1;
			break;
		}
		if ((r->stats->lines & 0x3fff) == 0)
			run_progress(r, 0);
	}
	if (rc == 0 && !gzeof(r->in)) {
		int zerr;

		fprintf(stderr, "relayguard: %s: read error: %s\n", r->opts->input,
		    gzerror(r->in, &zerr));
		rc = 1;
	}
	trace_parser_fini(&parser);
	run_progress(r, 1);
	return rc;
}

int
replay_run(struct engine *engine, const struct replay_run_opts *opts,
    const struct replay_run_cb *cb, struct replay_run_stats *stats)
{
	struct run r;
	int rc;

	memset(&r, 0, sizeof(r));
	memset(stats, 0, sizeof(*stats));
	r.engine = engine;
	r.opts = opts;
	r.cb = cb;
	r.stats = stats;
	r.next_expire_us = INT64_MIN;
	if (opts->format == REPLAY_RUN_MAILLOG &&
	    maillog_clock_init(&r.clock, opts->year, opts->utc_offset_s) != 0) {
		fprintf(stderr, "relayguard: year %d or zone offset %d s out of range\n",
		    opts->year, (int)opts->utc_offset_s);
		return 1;
	}
	if (strcmp(opts->input, "-") == 0) {
		r.in = gzdopen(dup(STDIN_FILENO), "rb");
	} else {
		struct stat st;

		r.in = gzopen(opts->input, "rb");
		if (stat(opts->input, &st) == 0)
			r.input_size = (uint64_t)st.st_size;
	}
	if (r.in == NULL) {
		fprintf(stderr, "relayguard: %s: cannot open\n", opts->input);
		return 1;
	}
	gzbuffer(r.in, 1 << 17);
	r.line = xmalloc(REPLAY_RUN_LINE_MAX + 2);
	r.relog = xmalloc(MAILLOG_LINE_MAX + 1);
	if (r.line == NULL || r.relog == NULL) {
		fprintf(stderr, "relayguard: out of memory\n");
		rc = 1;
	} else {
		engine_set_incident_fn(engine, run_engine_incident, &r);
		rc = run_loop(&r);
		engine_set_incident_fn(engine, NULL, NULL);
	}
	xfree(r.line);
	xfree(r.relog);
	gzclose(r.in);
	return rc;
}

int
replay_run_write_incident(FILE *out, const struct engine_incident *inc)
{
	char *line;
	size_t len;
	int rc;

	if (incident_fmt_json(inc, &line, &len) != 0)
		return -1;
	rc = fwrite(line, 1, len, out) == len ? 0 : -1;
	xfree(line);
	return rc;
}
