/*
 * test_sprt.c - unit tests of the SPRT (src/engine/sprt.c): Wald's
 * boundaries for known alpha and beta, n equal spam-like observations
 * crossing A at exactly the computed step, normal ones crossing B and
 * restarting (SPOT), mixed sequences, bad parameters, non-finite LLRs.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/sprt.h"
#include "lib/err.h"

static void
test_boundaries(void **state)
{
	static const struct {
		double alpha, beta, a, b;
	} cases[] = {
		{ 0.001, 0.01, 6.8977, -4.6042 },
		{ 0.01, 0.01, 4.5951, -4.5951 },
		{ 0.05, 0.2, 2.7726, -1.5581 },
	};
	struct sprt_params p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(sprt_params_init(&p, cases[i].alpha,
		    cases[i].beta), 0);
		assert_true(fabs(p.a - cases[i].a) < 1e-3);
		assert_true(fabs(p.b - cases[i].b) < 1e-3);
	}
}

static void
test_bad_params(void **state)
{
	static const double bad[][2] = {
		{ 0, 0.01 }, { 0.01, 0 }, { 0.5, 0.01 }, { 0.01, 0.7 },
		{ -1, 0.1 }, { NAN, 0.1 },
	};
	struct sprt_params p = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sprt_params_init(&p, bad[i][0], bad[i][1]),
		    ERR_RANGE);
	assert_true(p.a == 0);	/* unchanged */
}

/* n observations of llr each cross A at exactly ceil(A / llr). */
static void
test_cross_a_at_step(void **state)
{
	static const float llrs[] = { 1.0f, 1.5f, 2.0f, 2.3f, 3.5f, 7.0f };
	struct sprt_params p;
	struct sprt s = { 0 };
	unsigned i, k, want;
	enum sprt_decision d;

	(void)state;
	assert_int_equal(sprt_params_init(&p, 0.001, 0.01), 0);
	for (k = 0; k < sizeof(llrs) / sizeof(llrs[0]); k++) {
		want = (unsigned)ceil(p.a / llrs[k]);
		assert_int_equal(sprt_steps(&p, llrs[k]), want);
		sprt_reset(&s);
		for (i = 1; i <= want; i++) {
			d = sprt_add(&s, &p, llrs[k], true);
			assert_int_equal(d, i < want ? SPRT_CONTINUE :
			    SPRT_COMPROMISED);
		}
		assert_int_equal(s.n, want);
	}
	/* A = 6.8977: 2.0 a step crosses at the 4th, not the 3rd. */
	assert_int_equal(sprt_steps(&p, 2.0f), 4);
	assert_int_equal(sprt_steps(&p, 0), 0);
}

/* Normal observations cross B, restart, and keep watching. */
static void
test_cross_b_restarts(void **state)
{
	struct sprt_params p;
	struct sprt s = { 0 };
	enum sprt_decision d;
	unsigned i, want;

	(void)state;
	assert_int_equal(sprt_params_init(&p, 0.001, 0.01), 0);
	want = sprt_steps(&p, -1.0f);
	assert_int_equal(want, 5);	/* B = -4.6042 */
	for (i = 1; i <= want; i++) {
		d = sprt_add(&s, &p, -1.0f, true);
		assert_int_equal(d, i < want ? SPRT_CONTINUE : SPRT_NORMAL);
	}
	assert_true(s.llr == 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(s.restarts, 1);
	/* After the restart, spam still crosses A from zero. */
	for (i = 1; i <= 3; i++)
		d = sprt_add(&s, &p, 2.5f, true);
	assert_int_equal(d, SPRT_COMPROMISED);
	assert_int_equal(s.n, 3);
}

/* A mixed sequence: S is the plain sum while between the boundaries. */
static void
test_mixed(void **state)
{
	static const float seq[] = { 1.2f, -0.4f, 2.0f, 0.5f, -1.0f, 1.9f,
		2.7f };	/* sums: 1.2 0.8 2.8 3.3 2.3 4.2 6.9 >= A */
	static const enum sprt_decision want[] = { SPRT_CONTINUE,
		SPRT_CONTINUE, SPRT_CONTINUE, SPRT_CONTINUE, SPRT_CONTINUE,
		SPRT_CONTINUE, SPRT_COMPROMISED };
	struct sprt_params p;
	struct sprt s = { 0 };
	float sum = 0;
	size_t i;

	(void)state;
	assert_int_equal(sprt_params_init(&p, 0.001, 0.01), 0);
	for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		sum += seq[i];
		assert_int_equal(sprt_add(&s, &p, seq[i], i % 2 == 0),
		    want[i]);
		assert_true(fabsf(s.llr - sum) < 1e-5f);
	}
	assert_int_equal(s.n, 4);	/* new_observation on every other */
}

static void
test_nonfinite(void **state)
{
	struct sprt_params p;
	struct sprt s = { 0 };

	(void)state;
	assert_int_equal(sprt_params_init(&p, 0.01, 0.01), 0);
	assert_int_equal(sprt_add(&s, &p, NAN, true), SPRT_CONTINUE);
	assert_int_equal(sprt_add(&s, &p, INFINITY, true), SPRT_CONTINUE);
	assert_true(s.llr == 0);
	assert_int_equal(s.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_cross_a_at_step),
		cmocka_unit_test(test_cross_b_restarts),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_nonfinite),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
