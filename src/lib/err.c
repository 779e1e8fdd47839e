/*
 * err.c - texts for the error enum of err.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"

const char *
err_str(int err)
{
	switch (err) {
	case ERR_OK:
		return "success";
	case ERR_MALFORMED:
		return "malformed input";
	case ERR_TOOBIG:
		return "input over a size limit";
	case ERR_UNAVAIL:
		return "backend temporarily unavailable";
	case ERR_TIMEOUT:
		return "time budget exceeded";
	case ERR_UNSUPPORTED:
		return "not supported";
	default:
		if (err < 0 && err > -4096)
			return strerror(-err);
		return "unknown error";
	}
}

void
err_fmt(char *err, size_t errcap, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errcap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errcap, fmt, ap);
	va_end(ap);
}
