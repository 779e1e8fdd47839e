/*
 * log.c - the logging ladder of log.h, to stderr or syslog (facility mail).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <time.h>

#include "lib/log.h"

static int log_to_stderr = 1;
static const char *log_ident = "relayguard";
static enum log_level log_min_level = LOG_LEVEL_INFO;

void
log_open(const char *ident, int to_stderr)
{
	log_ident = ident;
	log_to_stderr = to_stderr;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_set_level(enum log_level level)
{
	log_min_level = level;
}

void
log_reopen(void)
{
	if (!log_to_stderr) {
		closelog();
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
	}
}

static void
log_emit(int prio, const char *tag, const char *fmt, va_list ap)
{
	if (log_to_stderr) {
		char stamp[32];
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ldZ %s: %s", stamp, ts.tv_nsec / 1000000L,
		    log_ident, tag);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		fflush(stderr);
	} else {
		char line[2048];

		vsnprintf(line, sizeof(line), fmt, ap);
		syslog(prio, "%s%s", tag, line);
	}
}

#define LOG_BODY(level, prio, tag)                     \
	do {                                           \
		va_list ap;                            \
		if ((level) < log_min_level)           \
			return;                        \
		va_start(ap, fmt);                     \
		log_emit((prio), (tag), fmt, ap);      \
		va_end(ap);                            \
	} while (0)

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_DEBUG, LOG_DEBUG, "debug: ");
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_INFO, LOG_INFO, "");
}

void
log_warn(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_WARN, LOG_WARNING, "warning: ");
}

void
log_error(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_ERROR, LOG_ERR, "error: ");
}

void
log_fatal(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, "fatal: ", fmt, ap);
	va_end(ap);
	exit(status);
}

void
log_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_CRIT, "panic: ", fmt, ap);
	va_end(ap);
	abort();
}
