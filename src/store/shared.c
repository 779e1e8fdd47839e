/*
 * shared.c - the pure parts of the shared state interface (shared.h):
 * key names, Redis Cluster slots, window slot numbers, and the text of a
 * shared incident.  No I/O: store_redis.c does that.
 *
 * CRC16 is written out here (a 256-entry table would be faster, but a
 * key is hashed once per command and is short): the XMODEM polynomial
 * 0x1021 that Redis Cluster uses (cluster spec, "Keys distribution
 * model"), bit by bit.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"
#include "store/shared.h"

static const char *const shared_kind_tag[] = { "w", "b", "d" };

/* Append n bytes to buf at *len; false when it would not fit. */
static bool
shared_put(char *buf, size_t cap, size_t *len, const char *p, size_t n)
{
	if (n > cap - *len)
		return false;
	memcpy(buf + *len, p, n);
	*len += n;
	return true;
}

int
shared_key_limit(char *buf, size_t cap, const char *prefix,
    const struct shared_op *op)
{
	char mid[64];
	size_t len = 0;
	int m;

	if (cap > SHARED_KEY_MAX)
		cap = SHARED_KEY_MAX;
	m = snprintf(mid, sizeof(mid), ":%s:%" PRIu64 ":",
	    shared_kind_tag[op->kind < 3 ? op->kind : 0], op->period_ms);
	if (m < 0 || (size_t)m >= sizeof(mid))
		return ERR_TOOBIG;
	if (!shared_put(buf, cap, &len, prefix, strlen(prefix)) ||
	    !shared_put(buf, cap, &len, "l:", 2) ||
	    !shared_put(buf, cap, &len, op->limit, strlen(op->limit)) ||
	    !shared_put(buf, cap, &len, mid, (size_t)m) ||
	    !shared_put(buf, cap, &len, op->key_kind, strlen(op->key_kind)) ||
	    !shared_put(buf, cap, &len, ":", 1) ||
	    !shared_put(buf, cap, &len, op->key, op->key_len))
		return ERR_TOOBIG;
	return (int)len;
}

int
shared_key_incident(char *buf, size_t cap, const char *prefix,
    const char *customer, size_t n)
{
	size_t len = 0;

	if (cap > SHARED_KEY_MAX)
		cap = SHARED_KEY_MAX;
	if (!shared_put(buf, cap, &len, prefix, strlen(prefix)) ||
	    !shared_put(buf, cap, &len, "i:", 2) ||
	    !shared_put(buf, cap, &len, customer, n))
		return ERR_TOOBIG;
	return (int)len;
}

static uint16_t
shared_crc16(const char *p, size_t len)
{
	uint16_t crc = 0;
	size_t i;
	int b;

	for (i = 0; i < len; i++) {
		crc ^= (uint16_t)((uint8_t)p[i] << 8);
		for (b = 0; b < 8; b++)
			crc = crc & 0x8000 ? (uint16_t)((crc << 1) ^ 0x1021) :
			    (uint16_t)(crc << 1);
	}
	return crc;
}

unsigned
shared_key_slot(const char *key, size_t len)
{
	const char *open = memchr(key, '{', len), *close;

	if (open != NULL) {
		close = memchr(open + 1, '}', len - (size_t)(open + 1 - key));
		if (close != NULL && close > open + 1)
			return shared_crc16(open + 1,
			    (size_t)(close - open - 1)) % SHARED_SLOTS;
	}
	return shared_crc16(key, len) % SHARED_SLOTS;
}

int64_t
shared_window_slot(int64_t slot_us, int64_t now_us)
{
	if (slot_us <= 0 || now_us < 0)
		return 0;
	return now_us / slot_us;
}

int
shared_incident_format(char *buf, size_t cap, const struct shared_incident *inc)
{
	int n = snprintf(buf, cap, "%" PRIu64 " %u %s %s", inc->id,
	    inc->actions, inc->reason[0] ? inc->reason : "-",
	    inc->node[0] ? inc->node : "-");

	if (n < 0 || (size_t)n >= cap)
		return ERR_TOOBIG;
	return n;
}

/* The next space-separated word of text[*pos, len) into out (cap). */
static bool
shared_word(const char *text, size_t len, size_t *pos, char *out, size_t cap)
{
	size_t start = *pos, n;

	while (*pos < len && text[*pos] != ' ')
		(*pos)++;
	n = *pos - start;
	if (n == 0 || n >= cap)
		return false;
	memcpy(out, text + start, n);
	out[n] = '\0';
	if (*pos < len)
		(*pos)++;	/* the space */
	return true;
}

/* A decimal number without sign or leading garbage. */
static bool
shared_num(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (max - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

int
shared_incident_parse(const char *text, size_t len, struct shared_incident *out)
{
	char id[24], act[12];
	uint64_t v, a;
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	if (!shared_word(text, len, &pos, id, sizeof(id)) ||
	    !shared_word(text, len, &pos, act, sizeof(act)) ||
	    !shared_word(text, len, &pos, out->reason, sizeof(out->reason)) ||
	    !shared_word(text, len, &pos, out->node, sizeof(out->node)) ||
	    pos != len || !shared_num(id, UINT64_MAX, &v) || v == 0 ||
	    !shared_num(act, UINT32_MAX, &a)) {
		memset(out, 0, sizeof(*out));
		return ERR_MALFORMED;
	}
	out->id = v;
	out->actions = (unsigned)a;
	return 0;
}
