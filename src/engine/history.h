/*
 * history.h - a small per-customer sending history for the HTTP API and
 * the dashboard: per minute over the last 24 hours and per hour over the
 * last 30 days, for four series (messages, recipients, distinct
 * recipient domains, bounces).
 *
 * Fed by history_note() (an amount of one series at now_us) or by
 * history_sample() (absolute counters of a customer, turned into the
 * amounts since the previous sample; engine_api_sample() reads them from
 * the engine).  Pure: no clock, no I/O; times come from the caller.
 *
 * Shape and memory: a hash table of customers (htab.h) and an LRU list
 * by last activity.  Per customer a fixed hour ring of HISTORY_HOURS x 4
 * 16-bit counters (5,760 bytes) and up to 24 minute blocks, one per hour
 * of the last day that had mail, each 60 x 4 16-bit counters (480
 * bytes), made on first use: a customer that sent in one hour of the day
 * costs about 6.5 KiB, one that sends all day about 17.5 KiB.  Counters
 * saturate at 65,535 per minute or hour.  At most max_customers are
 * kept (history_new); when full, the least recently active customer is
 * dropped for a new one.  history_expire() drops customers idle for 30
 * days.  Lookup: one hash probe.
 *
 * Ownership: the history owns its entries.  Not thread-safe.
 */
#ifndef RG_ENGINE_HISTORY_H
#define RG_ENGINE_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HISTORY_MINUTES 1440		/* 24 h of minutes */
#define HISTORY_HOURS 720		/* 30 days of hours */
#define HISTORY_CUSTOMERS_DEFAULT 2048
#define HISTORY_IDLE_US (30LL * 86400 * 1000000)

enum history_series {
	HISTORY_MESSAGES,
	HISTORY_RECIPIENTS,
	HISTORY_DOMAINS,		/* distinct recipient domains */
	HISTORY_BOUNCES,
	HISTORY__SERIES
};

struct history;

/*
 * history_new - an empty history of at most max_customers (0: the
 * default).  NULL on ENOMEM.
 */
struct history *history_new(size_t max_customers);

/* history_free - free everything; NULL is a no-op. */
void history_free(struct history *h);

/*
 * history_note - add n to series s of customer (len bytes) at now_us.
 * Times that go back by more than a minute are added to the current
 * bucket.  Returns 0 or ERR_NOMEM (nothing noted) or ERR_TOOBIG (a key
 * over 256 bytes).
 */
int history_note(struct history *h, const char *customer, size_t len,
    enum history_series s, uint32_t n, int64_t now_us);

/*
 * history_sample - cur holds the absolute counters of the customer now
 * (HISTORY__SERIES values; UINT64_MAX: not known, skipped).  The growth
 * since the previous sample of the same customer is noted at now_us; a
 * counter that went down (a restart of its source) counts from 0.  The
 * first sample of a customer notes the whole counter.  Returns as
 * history_note().
 */
int history_sample(struct history *h, const char *customer, size_t len,
    const uint64_t cur[HISTORY__SERIES], int64_t now_us);

/*
 * history_minutes - series s of customer per minute, HISTORY_MINUTES
 * values into out, oldest first, the last being the minute of now_us.
 * history_hours - likewise per hour, HISTORY_HOURS values.  Return 0,
 * or ERR_NOENT (no history: out is zeroed).
 */
int history_minutes(const struct history *h, const char *customer,
    enum history_series s, int64_t now_us, uint32_t *out);
int history_hours(const struct history *h, const char *customer,
    enum history_series s, int64_t now_us, uint32_t *out);

/*
 * history_recent - the sum of series s over the last n_hours hours
 * (1..24; per hour into out when out is not NULL, oldest first).
 * Returns the sum, 0 when unknown.
 */
uint64_t history_recent(const struct history *h, const char *customer,
    enum history_series s, int64_t now_us, unsigned n_hours, uint32_t *out);

/* history_expire - drop customers idle since before before_us. */
size_t history_expire(struct history *h, int64_t before_us);

/* history_count - customers with a history. */
size_t history_count(const struct history *h);

/* history_series_name - "messages", "recipients", "domains", "bounces". */
const char *history_series_name(enum history_series s);

#endif
