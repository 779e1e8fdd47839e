/*
 * log.h - the logging ladder: debug, info, warn, error, fatal, panic.
 *
 * warn:  bad input from a peer or file; handled, the service goes on.
 * error: an operation failed; the service goes on.
 * fatal: startup or configuration cannot continue; exits with the given
 *        status (2 for usage/config, 1 for runtime).
 * panic: a broken internal invariant; aborts.  Never for untrusted input.
 *
 * Lines start with the module and the peer or file:line, by convention:
 * "policy: 127.0.0.1:40122: line exceeds 8192 bytes; closing".
 * Until log_open() is called, messages go to stderr.
 */
#ifndef RG_LIB_LOG_H
#define RG_LIB_LOG_H

#include <stdarg.h>

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

/*
 * log_open - send messages to stderr (to_stderr != 0) or to syslog with
 * facility mail and the given ident.  ident must stay valid for the life
 * of the process.
 */
void log_open(const char *ident, int to_stderr);

/* log_set_level - drop messages below level (default LOG_LEVEL_INFO). */
void log_set_level(enum log_level level);

/* log_reopen - reopen syslog (after SIGHUP); a no-op on stderr. */
void log_reopen(void);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_fatal(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
void log_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
