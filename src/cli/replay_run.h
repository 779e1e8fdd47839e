/*
 * replay_run.h - the offline replay loop that `relayguard replay` and
 * `relayguard evaluate` share: read a trace (SPEC section 6) or a plain
 * Postfix log, feed it to the engine with the input's own clock, and
 * report every decision and every incident through callbacks.
 *
 * Input: a file (plain or gzip, detected by zlib) or "-" for stdin.
 *
 *   trace    policy events go to engine_judge() at their t; log events are
 *            parsed (proto/maillog.h) and go to engine_observe_log() at
 *            their t (the timestamp inside the line is not used, and a
 *            line without a syslog header is taken too); other events are
 *            skipped (forward compatibility).
 *   maillog  every line is parsed and goes to engine_observe_log() at its
 *            own timestamp (traditional timestamps take opts.year, rolled
 *            over at a December-to-January step, and opts.utc_offset_s).
 *
 * As the daemon does, engine_expire() runs once a minute of input time.
 * A malformed line is reported on stderr as "relayguard: INPUT:LINE:
 * reason" (the first 20; then only counted) and skipped; a trace log
 * line that cannot be parsed is counted apart (stats.bad_log_lines) and
 * does not make the input malformed.  A progress bar goes to stderr when
 * opts.progress is set.
 *
 * Ownership: every pointer handed to a callback is valid only during the
 * call.  The engine is borrowed; replay_run() sets its incident callback
 * for the duration of the run and clears it before returning.
 */
#ifndef RG_CLI_REPLAY_RUN_H
#define RG_CLI_REPLAY_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "conf/conf.h"
#include "engine/engine.h"
#include "proto/trace.h"

#define REPLAY_RUN_MAX_WARNINGS 20

enum replay_run_format { REPLAY_RUN_TRACE, REPLAY_RUN_MAILLOG };

/* One answered policy request. */
struct replay_run_decision {
	double t;				/* the event's time, seconds */
	const struct trace_event *ev;		/* the request and its truth */
	const struct engine_verdict *verdict;
	const char *instance;			/* "" when absent */
	const char *state;			/* protocol_state, "" when absent */
	int judge_rc;				/* engine_judge(): 0 or the fallback's error */
};

/* Return 0 to go on, anything else to stop the run (it then returns 1). */
typedef int (*replay_run_decision_fn)(void *ctx, const struct replay_run_decision *d);

/* An incident opened at t (seconds) for customer (SPEC section 6 key). */
typedef void (*replay_run_incident_fn)(void *ctx, double t, const char *customer,
    const char *reason);

struct replay_run_cb {
	void *ctx;
	replay_run_decision_fn on_decision;	/* NULL: none */
	replay_run_incident_fn on_incident;	/* NULL: none; openings only */
	engine_incident_fn on_engine_incident;	/* NULL: none; the full record, open and release */
};

struct replay_run_opts {
	const char *input;		/* path or "-" */
	enum replay_run_format format;
	int year;			/* maillog: year of traditional timestamps */
	int32_t utc_offset_s;		/* maillog: their zone (local minus UTC) */
	bool progress;			/* a progress bar on stderr */
};

struct replay_run_stats {
	unsigned long lines;		/* input lines read */
	unsigned long bad_lines;	/* malformed, skipped */
	unsigned long policy_events;
	unsigned long log_events;	/* log lines given to the engine */
	unsigned long bad_log_lines;	/* trace log lines not understood */
	unsigned long decisions;
	unsigned long incidents;	/* opened */
};

/*
 * replay_run_setup - load the config at conf_path, build its engine and
 * load its overrides file, printing "relayguard: ..." on failure.
 * Returns 0 with *conf and *engine (free them with engine_free() then
 * conf_free()), or 2 (bad config: the exit status).
 */
int replay_run_setup(const char *conf_path, struct conf **conf,
    struct engine **engine);

/*
 * replay_run - run opts->input through engine, calling cb's functions.
 * Fills *stats.  Returns 0; or 1 when the input cannot be opened or read,
 * or a decision callback asked to stop (a message is printed).  Malformed
 * lines do not fail the run: the caller decides from stats->bad_lines.
 */
int replay_run(struct engine *engine, const struct replay_run_opts *opts,
    const struct replay_run_cb *cb, struct replay_run_stats *stats);

/*
 * replay_run_write_incident - write SPEC section 6's incident line for
 * inc to out:
 *   {"t": T, "ev": "incident", "id": N, "customer": "...", "opened": T,
 *    "reason": "...", "evidence": {...}}
 * or, when inc was released, the same with "ev": "release" and
 * "released": T (t is then the release time).  Returns 0 or -1 when the
 * write failed.
 */
int replay_run_write_incident(FILE *out, const struct engine_incident *inc);

#endif
