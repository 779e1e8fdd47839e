/*
 * sprt.h - Wald's sequential probability ratio test, one per customer,
 * as SPOT uses it (Duan et al., "Detecting Spam Zombies by Monitoring
 * Outgoing Messages", IEEE TDSC 2012).
 *
 * H1: the customer is compromised; H0: it is normal.  Each observation
 * adds its log-likelihood ratio ln(P(x | H1) / P(x | H0)) to a running
 * sum S.  With the wanted error rates alpha (false positive: H1 chosen
 * when H0 holds) and beta (false negative), Wald's boundaries are
 *
 *	A = ln((1 - beta) / alpha)	S >= A: decide H1 (compromised)
 *	B = ln(beta / (1 - alpha))	S <= B: decide H0 (normal)
 *
 * SPOT restarts the test after an H0 decision (a machine can be
 * compromised later), so does sprt_add(): S goes back to 0.  After H1
 * the state is left as is; the caller opens an incident and resets.
 *
 * Memory: struct sprt is 8 bytes, no allocation.  Pure functions.
 */
#ifndef RG_ENGINE_SPRT_H
#define RG_ENGINE_SPRT_H

#include <stdbool.h>
#include <stdint.h>

enum sprt_decision {
	SPRT_CONTINUE,		/* B < S < A: observe more */
	SPRT_COMPROMISED,	/* S >= A */
	SPRT_NORMAL		/* S <= B: the test was restarted */
};

struct sprt_params {
	double alpha, beta;	/* as given */
	float a, b;		/* the boundaries A > 0 > B */
};

struct sprt {
	float llr;		/* S, the running sum */
	uint16_t n;		/* observations since the last restart */
	uint16_t restarts;	/* H0 decisions, saturating */
};

/*
 * sprt_params_init - boundaries for alpha and beta, each in (0, 0.5).
 * Returns 0, or ERR_RANGE (p unchanged).
 */
int sprt_params_init(struct sprt_params *p, double alpha, double beta);

/* sprt_reset - S = 0, no observations. */
void sprt_reset(struct sprt *s);

/*
 * sprt_add - add llr to S (new_observation: it starts an observation, so
 * n counts it) and decide.  SPRT_NORMAL restarts the test (S = 0, n = 0,
 * restarts + 1); SPRT_COMPROMISED leaves S as it is.  A non-finite llr
 * is ignored (SPRT_CONTINUE, or the standing decision).
 */
enum sprt_decision sprt_add(struct sprt *s, const struct sprt_params *p,
    float llr, bool new_observation);

/*
 * sprt_steps - how many observations of llr each take a fresh test
 * across A (llr > 0) or B (llr < 0): ceil(A / llr) or ceil(B / llr);
 * 0 for llr == 0 (never).  For the tests and doc/detection.md.
 */
unsigned sprt_steps(const struct sprt_params *p, float llr);

#endif
