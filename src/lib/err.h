/*
 * err.h - the one error enum of relayguard.
 *
 * Every function that can fail returns 0 (ERR_OK) or one of these negative
 * values.  Where errno has a matching code the value mirrors it (-ENOMEM,
 * -EINVAL, ...), so a system call's failure can be passed up as -errno.
 * The relayguard-specific codes sit well below the errno range.
 */
#ifndef RG_LIB_ERR_H
#define RG_LIB_ERR_H

#include <errno.h>
#include <stddef.h>

enum err_code {
	ERR_OK = 0,
	ERR_NOMEM = -ENOMEM,	/* allocation failed */
	ERR_INVAL = -EINVAL,	/* bad argument or value */
	ERR_NOENT = -ENOENT,	/* no such file, key or entry */
	ERR_IO = -EIO,		/* read/write failed */
	ERR_AGAIN = -EAGAIN,	/* need more input / try again */
	ERR_RANGE = -ERANGE,	/* number out of range */
	ERR_EXIST = -EEXIST,	/* already there */
	ERR_MALFORMED = -1000,	/* malformed input from a peer or file */
	ERR_TOOBIG = -1001,	/* input over a hard size limit */
	ERR_UNAVAIL = -1002,	/* backend temporarily unavailable */
	ERR_TIMEOUT = -1003,	/* time budget exceeded */
	ERR_UNSUPPORTED = -1004	/* valid but not supported here */
};

/* err_str - a short English text for an error code; never NULL, static. */
const char *err_str(int err);

/*
 * err_fmt - format a message into the caller's err buffer of errcap
 * bytes, as the "char *err, size_t errcap" convention of the project
 * expects; err NULL or errcap 0: nothing is written.
 */
void err_fmt(char *err, size_t errcap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
