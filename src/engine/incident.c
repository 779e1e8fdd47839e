/*
 * incident.c - incidents in memory (incident.h): a sorted array of
 * owned records, held messages in a growing array per incident.
 */
#include <string.h>

#include "engine/incident.h"
#include "lib/err.h"
#include "lib/xmalloc.h"

static void
incident_copy(char *dst, size_t cap, const char *src)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (n >= cap)
		n = cap - 1;
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static void
incident_free(struct incident *inc)
{
	if (inc == NULL)
		return;
	xfree(inc->customer);
	xfree(inc->evidence);
	xfree(inc->held);
	xfree(inc);
}

void
incident_tab_init(struct incident_tab *t)
{
	memset(t, 0, sizeof(*t));
	t->next_id = 1;
}

void
incident_tab_fini(struct incident_tab *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		incident_free(t->v[i]);
	xfree(t->v);
	incident_tab_init(t);
}

int
incident_add(struct incident_tab *t, uint64_t id, const char *customer,
    int64_t opened_us, const char *reason, const char *evidence,
    unsigned actions, struct incident **out)
{
	struct incident *inc, **v;
	size_t cap;

	if (id == 0)
		id = t->next_id;
	if (t->n > 0 && t->v[t->n - 1]->id >= id)
		return ERR_EXIST;
	if (evidence == NULL)
		evidence = "{}";
	if (strlen(evidence) > INCIDENT_EVIDENCE_MAX)
		return ERR_TOOBIG;
	if (t->n == t->cap) {
		cap = t->cap ? t->cap * 2 : 16;
		if ((v = xreallocarray(t->v, cap, sizeof(*v))) == NULL)
			return ERR_NOMEM;
		t->v = v;
		t->cap = cap;
	}
	if ((inc = xcalloc(1, sizeof(*inc))) == NULL)
		return ERR_NOMEM;
	inc->customer = xstrdup(customer);
	inc->evidence = xstrdup(evidence);
	if (inc->customer == NULL || inc->evidence == NULL) {
		incident_free(inc);
		return ERR_NOMEM;
	}
	inc->id = id;
	inc->opened_us = opened_us;
	inc->actions = actions;
	incident_copy(inc->reason, sizeof(inc->reason), reason);
	t->v[t->n++] = inc;
	t->n_open++;
	t->next_id = id + 1;
	*out = inc;
	return 0;
}

struct incident *
incident_find(const struct incident_tab *t, uint64_t id)
{
	size_t lo = 0, hi = t->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (t->v[mid]->id == id)
			return t->v[mid];
		if (t->v[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool
incident_add_addr(struct incident *inc, const char *addr)
{
	size_t i;

	if (addr == NULL || addr[0] == '\0')
		return false;
	for (i = 0; i < inc->n_addrs; i++) {
		if (strcmp(inc->addrs[i], addr) == 0)
			return false;
	}
	if (inc->n_addrs == INCIDENT_ADDRS_MAX)
		return false;
	incident_copy(inc->addrs[inc->n_addrs++], INCIDENT_ADDR_LEN, addr);
	return true;
}

/* The listed message with this instance or queue ID (newest first). */
static struct incident_held *
incident_held_find(struct incident *inc, const char *instance,
    const char *queue_id)
{
	struct incident_held *h;
	size_t i;

	for (i = inc->n_held; i-- > 0;) {
		h = &inc->held[i];
		if (instance[0] != '\0' && strcmp(h->instance, instance) == 0)
			return h;
		if (queue_id[0] != '\0' && strcmp(h->queue_id, queue_id) == 0)
			return h;
	}
	return NULL;
}

int
incident_hold(struct incident *inc, const char *instance,
    const char *queue_id, int64_t now_us)
{
	struct incident_held *h, *v;
	size_t cap;

	if (instance == NULL)
		instance = "";
	if (queue_id == NULL)
		queue_id = "";
	if ((h = incident_held_find(inc, instance, queue_id)) != NULL) {
		if (h->queue_id[0] == '\0' && queue_id[0] != '\0')
			incident_copy(h->queue_id, sizeof(h->queue_id),
			    queue_id);
		if (h->instance[0] == '\0' && instance[0] != '\0')
			incident_copy(h->instance, sizeof(h->instance),
			    instance);
		return 0;
	}
	inc->n_held_total++;
	if (inc->n_held == INCIDENT_HELD_MAX)
		return 0;
	if (inc->n_held == inc->cap_held) {
		cap = inc->cap_held ? inc->cap_held * 2 : 8;
		if (cap > INCIDENT_HELD_MAX)
			cap = INCIDENT_HELD_MAX;
		if ((v = xreallocarray(inc->held, cap, sizeof(*v))) == NULL) {
			inc->n_held_total--;
			return ERR_NOMEM;
		}
		inc->held = v;
		inc->cap_held = cap;
	}
	h = &inc->held[inc->n_held++];
	h->t_us = now_us;
	incident_copy(h->queue_id, sizeof(h->queue_id), queue_id);
	incident_copy(h->instance, sizeof(h->instance), instance);
	return 1;
}

int
incident_release(struct incident_tab *t, struct incident *inc, int64_t now_us)
{
	if (inc->released_us != 0)
		return ERR_EXIST;
	inc->released_us = now_us > 0 ? now_us : 1;
	if (t->n_open > 0)
		t->n_open--;
	return 0;
}

void
incident_trim(struct incident_tab *t)
{
	size_t released = t->n - t->n_open, i, j;

	if (released <= INCIDENT_KEEP_MAX)
		return;
	for (i = 0, j = 0; i < t->n; i++) {
		if (released > INCIDENT_KEEP_MAX && t->v[i]->released_us != 0) {
			incident_free(t->v[i]);
			released--;
			continue;
		}
		t->v[j++] = t->v[i];
	}
	t->n = j;
}
