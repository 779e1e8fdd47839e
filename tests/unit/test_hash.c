/*
 * test_hash.c - hash_bytes and hash_bytes_nocase (lib/hash.c): the case
 * folding that mail addresses need, across the chunk boundary, and the
 * stability the persisted fingerprints rely on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/hash.h"

static void
test_nocase_folds_ascii_only(void **state)
{
	static const struct {
		const char *a, *b;
		int same;
	} cases[] = {
		{ "Ann@Example.ORG", "ann@example.org", 1 },
		{ "", "", 1 },
		{ "ann@example.org", "ann@example.org ", 0 },
		{ "ann@example.org", "anm@example.org", 0 },
		{ "\xc3\x84nn@x", "\xc3\xa4nn@x", 0 },	/* UTF-8: not folded */
		{ "[@`{", "[@`{", 1 },			/* neighbours of A-Z, a-z */
		{ "@", "`", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t ha = hash_bytes_nocase(cases[i].a, strlen(cases[i].a), 7);
		uint64_t hb = hash_bytes_nocase(cases[i].b, strlen(cases[i].b), 7);

		if (cases[i].same)
			assert_int_equal(ha, hb);
		else
			assert_int_not_equal(ha, hb);
	}
}

static void
test_nocase_equals_hash_of_folded_copy(void **state)
{
	char upper[HASH_NOCASE_CHUNK], lower[HASH_NOCASE_CHUNK];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(upper); i++) {
		upper[i] = (char)('A' + i % 26);
		lower[i] = (char)('a' + i % 26);
	}
	for (i = 0; i <= sizeof(upper); i += 37)
		assert_int_equal(hash_bytes_nocase(upper, i, 3), hash_bytes(lower, i, 3));
	assert_int_equal(hash_bytes_nocase(upper, sizeof(upper), 3),
	    hash_bytes(lower, sizeof(lower), 3));
}

static void
test_nocase_long_input(void **state)
{
	char a[3 * HASH_NOCASE_CHUNK + 5], b[sizeof(a)];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(a); i++) {
		a[i] = (char)('A' + i % 26);
		b[i] = (char)('a' + i % 26);
	}
	/* Case never matters, whatever the length. */
	assert_int_equal(hash_bytes_nocase(a, sizeof(a), 1), hash_bytes_nocase(b, sizeof(b), 1));
	/* A change in the last chunk changes the hash. */
	b[sizeof(b) - 1] = '#';
	assert_int_not_equal(hash_bytes_nocase(a, sizeof(a), 1), hash_bytes_nocase(b, sizeof(b), 1));
	/* So does one in the first. */
	b[sizeof(b) - 1] = a[sizeof(a) - 1];
	b[0] = '#';
	assert_int_not_equal(hash_bytes_nocase(a, sizeof(a), 1), hash_bytes_nocase(b, sizeof(b), 1));
	/* And the seed. */
	assert_int_not_equal(hash_bytes_nocase(a, sizeof(a), 1), hash_bytes_nocase(a, sizeof(a), 2));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nocase_folds_ascii_only),
		cmocka_unit_test(test_nocase_equals_hash_of_folded_copy),
		cmocka_unit_test(test_nocase_long_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
