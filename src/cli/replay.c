/*
 * replay.c - `relayguard replay`: run a trace (SPEC section 6) or a plain
 * Postfix log through the same engine as the daemon, offline, with the
 * input's own clock, and write one decision line per answered policy
 * request and one line per incident opened or released.
 *
 * The loop itself (input, gzip, progress bar, malformed lines, log
 * events, incidents) is replay_run.c's, shared with `relayguard
 * evaluate`.  Exit 1 when the input had malformed lines, so that scripts
 * notice.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/replay_run.h"
#include "lib/clock.h"

struct replay {
	FILE *out;
	int write_err;
};

static void
replay_usage(FILE *out)
{
	fprintf(out, "usage: relayguard replay [-c FILE] [--format trace|maillog] [--year YEAR]\n"
	    "           [-o DECISIONS] INPUT|-\n");
}

static int
replay_decision(void *ctx, const struct replay_run_decision *d)
{
	struct replay *r = ctx;
	char out[4 * POLICY_REPLY_MAX];
	int n;

	n = trace_format_decision(out, sizeof(out), d->t, d->instance, d->verdict->customer,
	    d->state, d->verdict->action, d->verdict->rule);
	if (n < 0)
		return 0;	/* cannot happen with these sizes; skip the line */
	if (fwrite(out, 1, (size_t)n, r->out) != (size_t)n) {
		r->write_err = 1;
		return 1;
	}
	return 0;
}

static void
replay_incident(void *ctx, const struct engine_incident *inc)
{
	struct replay *r = ctx;

	if (replay_run_write_incident(r->out, inc) != 0)
		r->write_err = 1;
}

static int
current_year(void)
{
	time_t now = (time_t)(clock_now_us() / 1000000);
	struct tm tm;

	gmtime_r(&now, &tm);
	return tm.tm_year + 1900;
}

int
replay_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'F' },
		{ "year", required_argument, NULL, 'y' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = CONF_DEFAULT_PATH, *out_path = NULL;
	struct replay_run_opts opts = { 0 };
	struct replay_run_cb cb = { 0 };
	struct replay_run_stats st;
	struct replay r = { 0 };
	struct engine *engine;
	struct conf *conf;
	char *end;
	int c, rc;

	optind = 1;
	opts.format = REPLAY_RUN_TRACE;
	opts.year = current_year();
	while ((c = getopt_long(argc, argv, "c:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'F':
			if (strcmp(optarg, "trace") == 0) {
				opts.format = REPLAY_RUN_TRACE;
			} else if (strcmp(optarg, "maillog") == 0) {
				opts.format = REPLAY_RUN_MAILLOG;
			} else {
				fprintf(stderr, "relayguard: replay: --format %s: trace or maillog\n", optarg);
				return 2;
			}
			break;
		case 'y':
			opts.year = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || opts.year < 1970 || opts.year > 9999) {
				fprintf(stderr, "relayguard: replay: --year %s: want 1970 to 9999\n", optarg);
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
	if ((rc = replay_run_setup(path, &conf, &engine)) != 0)
		return rc;
	r.out = out_path ? fopen(out_path, "w") : stdout;
	if (r.out == NULL) {
		fprintf(stderr, "relayguard: %s: cannot write\n", out_path);
		engine_free(engine);
		conf_free(conf);
		return 1;
	}
	opts.input = argv[optind];
	opts.progress = isatty(STDERR_FILENO);
	cb.ctx = &r;
	cb.on_decision = replay_decision;
	cb.on_engine_incident = replay_incident;
	rc = replay_run(engine, &opts, &cb, &st);
	if (fflush(r.out) != 0 || r.write_err) {
		fprintf(stderr, "relayguard: writing decisions failed\n");
		rc = 1;
	}
	if (out_path)
		fclose(r.out);
	if (rc == 0 && st.bad_lines > 0) {
		fprintf(stderr, "relayguard: %s: %lu malformed lines skipped\n", opts.input,
		    st.bad_lines);
		rc = 1;
	}
	engine_free(engine);
	conf_free(conf);
	return rc;
}
