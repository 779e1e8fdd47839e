/*
 * sprt.c - Wald's SPRT with SPOT's restart after an H0 decision
 * (sprt.h).  Float sums: an observation's LLR is at most a few units
 * and S is restarted at B or acted on at A, so single precision loses
 * nothing that matters (|S| stays below 100, a relative error of 1e-7).
 */
#include <math.h>

#include "engine/sprt.h"
#include "lib/err.h"

int
sprt_params_init(struct sprt_params *p, double alpha, double beta)
{
	if (!(alpha > 0 && alpha < 0.5) || !(beta > 0 && beta < 0.5))
		return ERR_RANGE;
	p->alpha = alpha;
	p->beta = beta;
	p->a = (float)log((1 - beta) / alpha);
	p->b = (float)log(beta / (1 - alpha));
	return 0;
}

void
sprt_reset(struct sprt *s)
{
	s->llr = 0;
	s->n = 0;
}

enum sprt_decision
sprt_add(struct sprt *s, const struct sprt_params *p, float llr,
    bool new_observation)
{
	if (isfinite(llr)) {
		s->llr += llr;
		if (new_observation && s->n < UINT16_MAX)
			s->n++;
	}
	if (s->llr >= p->a)
		return SPRT_COMPROMISED;
	if (s->llr <= p->b) {
		sprt_reset(s);
		if (s->restarts < UINT16_MAX)
			s->restarts++;
		return SPRT_NORMAL;
	}
	return SPRT_CONTINUE;
}

unsigned
sprt_steps(const struct sprt_params *p, float llr)
{
	float steps;

	if (llr > 0)
		steps = p->a / llr;
	else if (llr < 0)
		steps = p->b / llr;
	else
		return 0;
	return (unsigned)ceilf(steps - 1e-6f);
}
