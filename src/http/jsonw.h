/*
 * jsonw.h - a JSON writer into a growing buffer, for the HTTP API.
 *
 * The writer tracks whether a comma is due at each nesting level, so
 * callers write values in order without punctuation bookkeeping.
 * Strings go through json_esc (lib/json_esc.h): always valid JSON, safe
 * inside <script>.  Doubles that are not finite are written as null.
 *
 * Limits: nesting depth JSONW_DEPTH_MAX, output at most cap_max bytes
 * (jsonw_init); beyond either the writer goes into a sticky error state
 * (jsonw_error() returns ERR_TOOBIG or ERR_NOMEM) and further calls do
 * nothing, so a handler checks once at the end.
 *
 * Ownership: the writer owns its buffer until jsonw_take() hands it to
 * the caller (xfree it) or jsonw_fini() frees it.  Not thread-safe.
 */
#ifndef RG_HTTP_JSONW_H
#define RG_HTTP_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSONW_DEPTH_MAX 32

struct jsonw {
	char *buf;		/* owned, NUL-terminated when len > 0 */
	size_t len, cap, cap_max;
	int err;		/* 0, ERR_NOMEM or ERR_TOOBIG: sticky */
	int depth;
	bool need_comma[JSONW_DEPTH_MAX + 1];
	bool after_key;
};

/* jsonw_init - an empty writer that refuses to grow past cap_max bytes. */
void jsonw_init(struct jsonw *w, size_t cap_max);

/* jsonw_fini - free the buffer (if not taken).  Safe twice. */
void jsonw_fini(struct jsonw *w);

/* jsonw_error - 0 or the sticky error. */
int jsonw_error(const struct jsonw *w);

/*
 * jsonw_take - the text written (NUL-terminated, owned by the caller)
 * and its length; the writer is left empty.  NULL after an error.
 */
char *jsonw_take(struct jsonw *w, size_t *len);

/* Structure: objects, arrays, member keys. */
void jsonw_obj_begin(struct jsonw *w);
void jsonw_obj_end(struct jsonw *w);
void jsonw_arr_begin(struct jsonw *w);
void jsonw_arr_end(struct jsonw *w);
void jsonw_key(struct jsonw *w, const char *key);

/* Values (after a key inside an object, or as array elements). */
void jsonw_str(struct jsonw *w, const char *s);
void jsonw_strn(struct jsonw *w, const char *s, size_t len);
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_uint(struct jsonw *w, uint64_t v);
void jsonw_double(struct jsonw *w, double v);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);

/*
 * jsonw_raw - a value already in JSON (an incident's evidence object);
 * the caller vouches for it.
 */
void jsonw_raw(struct jsonw *w, const char *json, size_t len);

/* jsonw_time - microseconds since the epoch as seconds (3 decimals). */
void jsonw_time(struct jsonw *w, int64_t us);

/* Shorthands: a key and its value. */
void jsonw_kstr(struct jsonw *w, const char *key, const char *s);
void jsonw_kint(struct jsonw *w, const char *key, int64_t v);
void jsonw_kuint(struct jsonw *w, const char *key, uint64_t v);
void jsonw_kdouble(struct jsonw *w, const char *key, double v);
void jsonw_kbool(struct jsonw *w, const char *key, bool v);

/*
 * jsonw_newline - end a top-level value with "\n" (JSON Lines): the
 * next top-level value starts a new line without a comma.
 */
void jsonw_newline(struct jsonw *w);

/*
 * jsonw_append - append raw bytes (not JSON-aware: for text bodies such
 * as /metrics, which reuse the buffer).  jsonw_printf likewise.
 */
void jsonw_append(struct jsonw *w, const char *s, size_t len);
void jsonw_printf(struct jsonw *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
