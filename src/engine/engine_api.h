/*
 * engine_api.h - read-only views of the engine for the HTTP API and the
 * dashboard (ranking every customer, feeding the sending history), and
 * the abuse desk's manual hold.
 *
 * Customers are the keys of kind "customer" that limits count, and the
 * customers that detection tracks; each is reported once.  The risk
 * score that ranks them (engine_api_customer.score):
 *
 *   an open incident               2 + H / (H + 100), H its held messages
 *   otherwise                      max(S/A clipped to 0..1, pressure)
 *   pressure                       max over its limits of used / N
 *
 * where S is the customer's SPRT sum and A its "compromised" bound
 * (detect.h), so 1 means "at the bound" for both.  Ties break on the
 * refusals (over).
 *
 * Pure: no clock, no I/O.  Pointers in the structures handed to the
 * callbacks borrow from the engine and are valid until the next engine
 * call that changes it (engine_judge, engine_expire, a reload).
 * Cost: engine_api_customers() is one pass over the subject table and
 * one over the detection table, about 0.3 us per customer.
 */
#ifndef RG_ENGINE_ENGINE_API_H
#define RG_ENGINE_ENGINE_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/history.h"

struct engine_api_customer {
	const char *customer;		/* borrowed, see above */
	size_t len;
	const char *network;		/* configured network of the key, "" */
	int64_t last_us;		/* last activity known */
	double pressure;		/* max used / N over its limits */
	uint32_t attempts, over;	/* summed over its limits */
	bool has_risk;			/* tracked by detection */
	double llr, threshold;		/* S and A */
	uint32_t messages;		/* observed by detection, saturating */
	uint64_t incident;		/* open incident id, 0: none */
	uint64_t held;			/* messages held under it */
	double score;			/* the ranking, see above */
};

/* Called once per customer; non-zero stops the walk. */
typedef int (*engine_api_customer_fn)(void *ctx,
    const struct engine_api_customer *c);

/*
 * engine_api_customers - call fn for every customer at now_us.  Returns
 * how many were reported.
 */
size_t engine_api_customers(const struct engine *engine, int64_t now_us,
    engine_api_customer_fn fn, void *ctx);

/*
 * engine_api_customer - the view of one customer.  Returns 0 or
 * ERR_NOENT (neither limits nor detection track it).
 */
int engine_api_customer(const struct engine *engine, const char *customer,
    int64_t now_us, struct engine_api_customer *out);

/*
 * engine_api_sample - feed history with the counters of every customer
 * active since since_us (messages and recipients: the attempts of its
 * messages and recipients limits, else detection's message count;
 * domains: the live count of a distinct_recipient_domains limit;
 * bounces: detection's unknown-user and bounce outcomes while its test
 * leans to "compromised").  Messages held under an open incident are
 * judged before the limits and counted by no limit, so they do not show
 * here (the incident counts them).  Cost: O(customers active since since_us)
 * for the subject table plus one pass over the detection table.
 */
void engine_api_sample(const struct engine *engine, struct history *history,
    int64_t since_us, int64_t now_us);

/*
 * engine_api_sample_one - engine_api_sample() for one customer (before
 * its page is drawn, so that the page is up to date).
 */
void engine_api_sample_one(const struct engine *engine,
    struct history *history, const char *customer, int64_t now_us);

/*
 * engine_api_hold - a manual hold: open an incident (reason "manual",
 * action hold) for customer at now_us, so that every further message of
 * it is held (SPEC section 3: open incidents come before limits).  Works
 * only with detection.enabled (ERR_UNSUPPORTED otherwise: the engine
 * judges incidents only then).  Returns 0 and *id, ERR_EXIST with *id
 * when an incident is already open for it, ERR_TOOBIG (key too long) or
 * ERR_NOMEM.
 */
int engine_api_hold(struct engine *engine, const char *customer,
    int64_t now_us, uint64_t *id);

/*
 * engine_api_open_incident - the id of customer's open incident, or 0.
 */
uint64_t engine_api_open_incident(const struct engine *engine,
    const char *customer);

/* engine_api_detection_on - detection.enabled of the running rules. */
bool engine_api_detection_on(const struct engine *engine);

#endif
