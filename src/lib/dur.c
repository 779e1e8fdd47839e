/*
 * dur.c - duration and rate parsing (see dur.h).
 */
#include <stdio.h>
#include <string.h>

#include "lib/dur.h"
#include "lib/err.h"

#define DUR_MAX_MS (10ull * 366 * 86400 * 1000)

static int
dur_unit_ms(const char *u, size_t len, uint64_t *mult)
{
	static const struct {
		const char *name;
		uint64_t ms;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "min", 60000 },
		{ "h", 3600000 }, { "d", 86400000 }, { "w", 7 * 86400000ull },
		{ "", 1000 },
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strlen(units[i].name) == len && memcmp(units[i].name, u, len) == 0) {
			*mult = units[i].ms;
			return 0;
		}
	}
	return ERR_MALFORMED;
}

static int
dur_parse_inner(const char *text, size_t len, int need_number, uint64_t *out_ms)
{
	uint64_t n = 0, mult;
	size_t i = 0;

	while (i < len && text[i] >= '0' && text[i] <= '9') {
		n = n * 10 + (uint64_t)(text[i] - '0');
		if (n > DUR_MAX_MS)
			return ERR_RANGE;
		i++;
	}
	if (i == 0) {
		if (need_number || len == 0)
			return ERR_MALFORMED;
		n = 1;
	}
	if (dur_unit_ms(text + i, len - i, &mult) != 0)
		return ERR_MALFORMED;
	if (i == 0 && len == 0)
		return ERR_MALFORMED;
	if (n > DUR_MAX_MS / mult)
		return ERR_RANGE;
	*out_ms = n * mult;
	return 0;
}

int
dur_parse_ms(const char *text, size_t len, int allow_zero, uint64_t *out_ms)
{
	int rc = dur_parse_inner(text, len, 1, out_ms);

	if (rc == 0 && *out_ms == 0 && !allow_zero)
		return ERR_RANGE;
	return rc;
}

int
dur_parse_rate(const char *text, size_t len, uint64_t *out_count,
    uint64_t *out_period_ms)
{
	const char *slash = memchr(text, '/', len);
	uint64_t n = 0;
	size_t i;
	int rc;

	if (slash == NULL || slash == text)
		return ERR_MALFORMED;
	for (i = 0; text + i < slash; i++) {
		if (text[i] < '0' || text[i] > '9')
			return ERR_MALFORMED;
		n = n * 10 + (uint64_t)(text[i] - '0');
		if (n > 0xffffffffull)
			return ERR_RANGE;
	}
	if (n == 0)
		return ERR_RANGE;
	/* Pass ERR_RANGE on: "1/20y" is too long, not malformed. */
	if ((rc = dur_parse_inner(slash + 1, len - (size_t)(slash + 1 - text), 0,
	    out_period_ms)) != 0)
		return rc;
	if (*out_period_ms == 0)
		return ERR_RANGE;
	*out_count = n;
	return 0;
}

void
dur_format(uint64_t ms, char *buf, size_t cap)
{
	if (ms != 0 && ms % 86400000ull == 0)
		snprintf(buf, cap, "%llud", (unsigned long long)(ms / 86400000ull));
	else if (ms != 0 && ms % 3600000ull == 0)
		snprintf(buf, cap, "%lluh", (unsigned long long)(ms / 3600000ull));
	else if (ms != 0 && ms % 60000ull == 0)
		snprintf(buf, cap, "%llum", (unsigned long long)(ms / 60000ull));
	else if (ms % 1000ull == 0)
		snprintf(buf, cap, "%llus", (unsigned long long)(ms / 1000ull));
	else
		snprintf(buf, cap, "%llums", (unsigned long long)ms);
}
