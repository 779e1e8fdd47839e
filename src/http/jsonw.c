/*
 * jsonw.c - the JSON writer of the HTTP API (jsonw.h).
 *
 * The buffer doubles as it grows (amortised O(1) appends); escaping is
 * sized first with json_esc_len so each string is written in one pass.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "http/jsonw.h"
#include "lib/err.h"
#include "lib/json_esc.h"
#include "lib/xmalloc.h"

void
jsonw_init(struct jsonw *w, size_t cap_max)
{
	memset(w, 0, sizeof(*w));
	w->cap_max = cap_max;
}

void
jsonw_fini(struct jsonw *w)
{
	xfree(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

int
jsonw_error(const struct jsonw *w)
{
	return w->err;
}

char *
jsonw_take(struct jsonw *w, size_t *len)
{
	char *p;

	if (w->err != 0) {
		jsonw_fini(w);
		return NULL;
	}
	if (w->buf == NULL && (w->buf = xstrdup("")) == NULL) {
		w->err = ERR_NOMEM;
		return NULL;
	}
	p = w->buf;
	*len = w->len;
	w->buf = NULL;
	w->len = w->cap = 0;
	return p;
}

/* Make room for n more bytes and a NUL.  False (sticky error) if not. */
static bool
jsonw_room(struct jsonw *w, size_t n)
{
	size_t want, ncap;
	char *p;

	if (w->err != 0)
		return false;
	if (n > w->cap_max || w->len > w->cap_max - n) {
		w->err = ERR_TOOBIG;
		return false;
	}
	want = w->len + n + 1;
	if (want <= w->cap)
		return true;
	ncap = w->cap ? w->cap : 256;
	while (ncap < want)
		ncap *= 2;
	if ((p = xrealloc(w->buf, ncap)) == NULL) {
		w->err = ERR_NOMEM;
		return false;
	}
	w->buf = p;
	w->cap = ncap;
	return true;
}

void
jsonw_append(struct jsonw *w, const char *s, size_t len)
{
	if (!jsonw_room(w, len))
		return;
	memcpy(w->buf + w->len, s, len);
	w->len += len;
	w->buf[w->len] = '\0';
}

void
jsonw_newline(struct jsonw *w)
{
	jsonw_append(w, "\n", 1);
	if (w->depth == 0)
		w->need_comma[0] = false;
}

void
jsonw_printf(struct jsonw *w, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		jsonw_append(w, small, (size_t)n);
		return;
	}
	if (!jsonw_room(w, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(w->buf + w->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	w->len += (size_t)n;
}

/* The separator before a value at the current level. */
static void
jsonw_sep(struct jsonw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->need_comma[w->depth])
		jsonw_append(w, ",", 1);
	w->need_comma[w->depth] = true;
}

static void
jsonw_open(struct jsonw *w, char c)
{
	jsonw_sep(w);
	if (w->depth >= JSONW_DEPTH_MAX) {
		if (w->err == 0)
			w->err = ERR_TOOBIG;
		return;
	}
	jsonw_append(w, &c, 1);
	w->depth++;
	w->need_comma[w->depth] = false;
}

static void
jsonw_close(struct jsonw *w, char c)
{
	if (w->depth > 0)
		w->depth--;
	jsonw_append(w, &c, 1);
}

void
jsonw_obj_begin(struct jsonw *w)
{
	jsonw_open(w, '{');
}

void
jsonw_obj_end(struct jsonw *w)
{
	jsonw_close(w, '}');
}

void
jsonw_arr_begin(struct jsonw *w)
{
	jsonw_open(w, '[');
}

void
jsonw_arr_end(struct jsonw *w)
{
	jsonw_close(w, ']');
}

static void
jsonw_quoted(struct jsonw *w, const char *s, size_t len)
{
	size_t n = json_esc_len(s, len);

	if (!jsonw_room(w, n + 2))
		return;
	w->buf[w->len++] = '"';
	json_esc_write(w->buf + w->len, n + 1, s, len);
	w->len += n;
	w->buf[w->len++] = '"';
	w->buf[w->len] = '\0';
}

void
jsonw_key(struct jsonw *w, const char *key)
{
	jsonw_sep(w);
	jsonw_quoted(w, key, strlen(key));
	jsonw_append(w, ":", 1);
	w->after_key = true;
}

void
jsonw_strn(struct jsonw *w, const char *s, size_t len)
{
	jsonw_sep(w);
	jsonw_quoted(w, s, len);
}

void
jsonw_str(struct jsonw *w, const char *s)
{
	if (s == NULL) {
		jsonw_null(w);
		return;
	}
	jsonw_strn(w, s, strlen(s));
}

void
jsonw_int(struct jsonw *w, int64_t v)
{
	jsonw_sep(w);
	jsonw_printf(w, "%lld", (long long)v);
}

void
jsonw_uint(struct jsonw *w, uint64_t v)
{
	jsonw_sep(w);
	jsonw_printf(w, "%llu", (unsigned long long)v);
}

void
jsonw_double(struct jsonw *w, double v)
{
	if (!isfinite(v)) {
		jsonw_null(w);
		return;
	}
	jsonw_sep(w);
	jsonw_printf(w, "%.6g", v);
}

void
jsonw_bool(struct jsonw *w, bool v)
{
	jsonw_sep(w);
	jsonw_append(w, v ? "true" : "false", v ? 4 : 5);
}

void
jsonw_null(struct jsonw *w)
{
	jsonw_sep(w);
	jsonw_append(w, "null", 4);
}

void
jsonw_raw(struct jsonw *w, const char *json, size_t len)
{
	jsonw_sep(w);
	jsonw_append(w, json, len);
}

void
jsonw_time(struct jsonw *w, int64_t us)
{
	jsonw_sep(w);
	jsonw_printf(w, "%lld.%03lld", (long long)(us / 1000000),
	    (long long)((us % 1000000) / 1000));
}

void
jsonw_kstr(struct jsonw *w, const char *key, const char *s)
{
	jsonw_key(w, key);
	jsonw_str(w, s);
}

void
jsonw_kint(struct jsonw *w, const char *key, int64_t v)
{
	jsonw_key(w, key);
	jsonw_int(w, v);
}

void
jsonw_kuint(struct jsonw *w, const char *key, uint64_t v)
{
	jsonw_key(w, key);
	jsonw_uint(w, v);
}

void
jsonw_kdouble(struct jsonw *w, const char *key, double v)
{
	jsonw_key(w, key);
	jsonw_double(w, v);
}

void
jsonw_kbool(struct jsonw *w, const char *key, bool v)
{
	jsonw_key(w, key);
	jsonw_bool(w, v);
}
