/*
 * clock.h - the wall clock, for the daemon and the CLI only.
 *
 * Parsers and the engine never read a clock: they take now_us as an
 * argument (the injected clock), so replay runs the same code with the
 * trace's own time.  Times are microseconds since the Unix epoch.
 */
#ifndef RG_LIB_CLOCK_H
#define RG_LIB_CLOCK_H

#include <stdint.h>

/* clock_now_us - CLOCK_REALTIME in microseconds. */
int64_t clock_now_us(void);

/* clock_mono_us - CLOCK_MONOTONIC in microseconds (time budgets). */
int64_t clock_mono_us(void);

#endif
