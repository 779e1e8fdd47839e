/*
 * replay.c - `relayguard replay`: run a trace (SPEC section 6) through the
 * same engine as the daemon, offline, with the trace's own clock, and
 * write one decision line per answered policy request.
 *
 * Input: a file (plain or gzip, detected by zlib) or "-" for stdin.  A
 * malformed line is reported as "INPUT:LINE: reason" and skipped; the
 * exit status is then 1 so that scripts notice.  A progress bar goes to
 * stderr when stderr is a terminal.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "cli/cli.h"
#include "engine/engine.h"
#include "lib/file.h"
#include "lib/xmalloc.h"
#include "proto/trace.h"

#define REPLAY_MAP_MAX (256u << 20)
#define REPLAY_MAX_WARNINGS 20

struct replay {
	const char *input_name;
	gzFile in;
	FILE *out;
	uint64_t input_size;		/* 0 when unknown (stdin) */
	int progress;			/* draw a progress bar */
	unsigned long lineno;
	unsigned long bad_lines;
	unsigned long decisions;
	char *line;			/* TRACE_LINE_MAX + 2 */
};

static void
replay_usage(FILE *out)
{
	fprintf(out, "usage: relayguard replay [-c FILE] [--format trace] [-o DECISIONS] INPUT|-\n");
}

static void
replay_progress(struct replay *r, int done)
{
	unsigned pct, i;

	if (!r->progress || r->input_size == 0)
		return;
	pct = done ? 100 : (unsigned)((uint64_t)gzoffset(r->in) * 100 / r->input_size);
	if (pct > 100)
		pct = 100;
	fprintf(stderr, "\r[");
	for (i = 0; i < 40; i++)
		fputc(i < pct * 40 / 100 ? '#' : ' ', stderr);
	fprintf(stderr, "] %3u%% %lu lines", pct, r->lineno);
	if (done)
		fputc('\n', stderr);
}

static void
replay_warn(struct replay *r, const char *reason)
{
	r->bad_lines++;
	if (r->bad_lines <= REPLAY_MAX_WARNINGS)
		fprintf(stderr, "%srelayguard: %s:%lu: %s\n", r->progress ? "\n" : "",
		    r->input_name, r->lineno, reason);
	else if (r->bad_lines == REPLAY_MAX_WARNINGS + 1)
		fprintf(stderr, "relayguard: %s: more malformed lines follow; counting them only\n",
		    r->input_name);
}

static int
replay_decide(struct replay *r, struct engine *engine, const struct trace_event *ev)
{
	const struct policy_str *inst = &ev->attrs.attr[PA_INSTANCE];
	const struct policy_str *state = &ev->attrs.attr[PA_PROTOCOL_STATE];
	struct engine_verdict verdict;
	char instance[512], st[64];
	char out[4 * POLICY_REPLY_MAX];
	int n;

	engine_judge(engine, &ev->attrs, (int64_t)(ev->t * 1e6 + 0.5), &verdict);
	snprintf(instance, sizeof(instance), "%.*s", inst->ptr ? (int)inst->len : 0,
	    inst->ptr ? inst->ptr : "");
	snprintf(st, sizeof(st), "%.*s", state->ptr ? (int)state->len : 0,
	    state->ptr ? state->ptr : "");
	n = trace_format_decision(out, sizeof(out), ev->t, instance,
	    verdict.customer, st, verdict.action, verdict.rule);
	if (n < 0) {
		replay_warn(r, "decision line too long to write");
		return 0;
	}
	if (fwrite(out, 1, (size_t)n, r->out) != (size_t)n)
		return -1;
	r->decisions++;
	return 0;
}

static int
replay_run(struct replay *r, struct engine *engine)
{
	struct trace_parser parser;
	struct trace_event ev;
	struct trace_err terr;
	int rc = 0;

	trace_parser_init(&parser);
	while (gzgets(r->in, r->line, TRACE_LINE_MAX + 2) != NULL) {
		size_t len = strlen(r->line);

		r->lineno++;
		if (len > 0 && r->line[len - 1] != '\n' && !gzeof(r->in)) {
			/* Over the limit: report, then skip the rest of the line. */
			replay_warn(r, "line exceeds the trace line limit; skipped");
			while (gzgets(r->in, r->line, TRACE_LINE_MAX + 2) != NULL) {
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
		if (trace_parse_line(&parser, r->line, len, &ev, &terr) != 0) {
			replay_warn(r, terr.msg);
			continue;
		}
		if (ev.ev == TRACE_EV_POLICY && replay_decide(r, engine, &ev) != 0) {
			fprintf(stderr, "relayguard: writing decisions failed\n");
			rc = 1;
			break;
		}
		if ((r->lineno & 0x3fff) == 0)
			replay_progress(r, 0);
	}
	trace_parser_fini(&parser);
	replay_progress(r, 1);
	return rc;
}

static int
replay_load_overrides(struct engine *engine, const struct conf *conf)
{
	char err[CONF_ERR_MAX];
	char *text;
	size_t len;
	int rc;

	if (conf->policy_overrides == NULL)
		return 0;
	if (file_read_all(conf->policy_overrides, REPLAY_MAP_MAX, &text, &len,
	    err, sizeof(err)) != 0) {
		fprintf(stderr, "relayguard: policy.overrides: %s\n", err);
		return -1;
	}
	rc = engine_load_overrides(engine, conf->policy_overrides, text, len,
	    err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "relayguard: policy.overrides: %s\n", err);
	xfree(text);
	return rc;
}

int
replay_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'F' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = CONF_DEFAULT_PATH, *out_path = NULL;
	struct replay r = { 0 };
	struct engine *engine;
	struct conf *conf;
	char err[CONF_ERR_MAX];
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'F':
			if (strcmp(optarg, "trace") != 0) {
				fprintf(stderr, "relayguard: replay: --format %s: this build reads traces only\n",
				    optarg);
				return 2;
			}
			break;
		case 'h':
			replay_usage(stdout);
			return 0;
		default:
			replay_usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		replay_usage(stderr);
		return 2;
	}
	r.input_name = argv[optind];
	if ((conf = cli_load_conf(path)) == NULL)
		return 2;
	if ((engine = engine_new(conf, err, sizeof(err))) == NULL) {
		fprintf(stderr, "relayguard: %s: %s\n", path, err);
		conf_free(conf);
		return 2;
	}
	if (replay_load_overrides(engine, conf) != 0) {
		engine_free(engine);
		conf_free(conf);
		return 2;
	}
	if (strcmp(r.input_name, "-") == 0) {
		r.in = gzdopen(dup(STDIN_FILENO), "rb");
	} else {
		struct stat st;

		r.in = gzopen(r.input_name, "rb");
		if (stat(r.input_name, &st) == 0)
			r.input_size = (uint64_t)st.st_size;
	}
	if (r.in == NULL) {
		fprintf(stderr, "relayguard: %s: cannot open\n", r.input_name);
		engine_free(engine);
		conf_free(conf);
		return 1;
	}
	gzbuffer(r.in, 1 << 17);
	r.out = out_path ? fopen(out_path, "w") : stdout;
	if (r.out == NULL) {
		fprintf(stderr, "relayguard: %s: cannot write\n", out_path);
		gzclose(r.in);
		engine_free(engine);
		conf_free(conf);
		return 1;
	}
	r.progress = isatty(STDERR_FILENO);
	r.line = xmalloc(TRACE_LINE_MAX + 2);
	rc = r.line ? replay_run(&r, engine) : 1;
	if (fflush(r.out) != 0)
		rc = 1;
	if (out_path)
		fclose(r.out);
	if (rc == 0 && r.bad_lines > 0) {
		fprintf(stderr, "relayguard: %s: %lu malformed lines skipped\n",
		    r.input_name, r.bad_lines);
		rc = 1;
	}
	xfree(r.line);
	gzclose(r.in);
	engine_free(engine);
	conf_free(conf);
	return rc;
}
