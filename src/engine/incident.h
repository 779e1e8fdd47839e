/*
 * incident.h - the engine's incidents in memory: one per compromise of a
 * customer, open until released, with its evidence, the client
 * addresses seen, and the messages held under it (by instance and, once
 * known, Postfix queue ID) so that a release can print the
 * `postsuper -H QUEUEID` commands.
 *
 * Identity: ids are monotonically increasing integers from 1; the next
 * id is persisted (engine_persist.c, store/incidents.c) so that it never
 * goes back after a restart.  Incidents are kept in an array sorted by
 * id (they are made in that order): lookup by id is a binary search.
 *
 * Limits and memory: an incident is about 300 bytes plus its evidence
 * text (at most INCIDENT_EVIDENCE_MAX) plus 112 bytes per held message,
 * at most INCIDENT_HELD_MAX held messages per incident (beyond that
 * held messages are still held and counted, n_held_total, but not
 * listed; the hold: lines in the Postfix log have them).  At most
 * INCIDENT_KEEP_MAX released incidents stay in memory (the oldest
 * released ones are dropped first; the incidents database keeps all).
 *
 * Ownership: the table owns every incident and its strings.  Pointers
 * returned by the lookups stay valid until the next incident_add() or
 * incident_tab_fini() on the table.
 */
#ifndef RG_ENGINE_INCIDENT_H
#define RG_ENGINE_INCIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INCIDENT_REASON_MAX 63
#define INCIDENT_EVIDENCE_MAX 16384
#define INCIDENT_ADDRS_MAX 10
#define INCIDENT_ADDR_LEN 46		/* IPADDR_STRLEN */
#define INCIDENT_QID_MAX 32		/* MAILLOG_QID_MAX */
#define INCIDENT_INSTANCE_MAX 63
#define INCIDENT_HELD_MAX 100000
#define INCIDENT_KEEP_MAX 10000

struct incident_held {
	int64_t t_us;				/* when it was held */
	char queue_id[INCIDENT_QID_MAX + 1];	/* "" until known */
	char instance[INCIDENT_INSTANCE_MAX + 1];	/* "" if none */
};

struct incident {
	uint64_t id;
	char *customer;			/* owned */
	int64_t opened_us;
	int64_t released_us;		/* 0: open */
	unsigned actions;		/* CONF_ON_* bits decided at opening */
	char reason[INCIDENT_REASON_MAX + 1];
	char *evidence;			/* owned JSON object text */
	char addrs[INCIDENT_ADDRS_MAX][INCIDENT_ADDR_LEN];
	size_t n_addrs;
	struct incident_held *held;	/* owned, n_held of cap_held */
	size_t n_held, cap_held;
	uint64_t n_held_total;		/* held messages, listed or not */
};

struct incident_tab {
	struct incident **v;		/* owned, sorted by id */
	size_t n, cap;
	size_t n_open;
	uint64_t next_id;		/* >= 1 */
};

/* incident_tab_init - an empty table; ids start at 1.  Cannot fail. */
void incident_tab_init(struct incident_tab *t);

/* incident_tab_fini - free everything. */
void incident_tab_fini(struct incident_tab *t);

/*
 * incident_add - a new open incident.  id 0 takes the next id; a given
 * id (restored from the database) must be above every id in the table
 * (else ERR_EXIST).  customer and evidence (NULL: "{}") are copied;
 * reason is cut to INCIDENT_REASON_MAX bytes; an evidence text over
 * INCIDENT_EVIDENCE_MAX is ERR_TOOBIG.  Returns 0 and *out, or
 * ERR_NOMEM / ERR_EXIST / ERR_TOOBIG.
 */
int incident_add(struct incident_tab *t, uint64_t id, const char *customer,
    int64_t opened_us, const char *reason, const char *evidence,
    unsigned actions, struct incident **out);

/* incident_find - the incident with this id, or NULL. */
struct incident *incident_find(const struct incident_tab *t, uint64_t id);

/*
 * incident_add_addr - note a client address (text, as formatted by
 * ipaddr_format) unless already there or INCIDENT_ADDRS_MAX are listed.
 * Returns true when it was added.
 */
bool incident_add_addr(struct incident *inc, const char *addr);

/*
 * incident_hold - record a held message: its instance (may be NULL or
 * "") and queue ID (may be NULL or "", filled later by
 * incident_set_queue_id).  A message with the same instance, or the same
 * non-empty queue ID, already listed is not listed twice (the queue ID
 * is filled in when it was empty).  Returns 1 when a new message was
 * listed, 0 when it was already there (or not listed: over
 * INCIDENT_HELD_MAX, still counted), ERR_NOMEM.
 */
int incident_hold(struct incident *inc, const char *instance,
    const char *queue_id, int64_t now_us);

/*
 * incident_release - mark released at now_us.  Returns 0, or
 * ERR_EXIST when it already was (released_us unchanged).
 */
int incident_release(struct incident_tab *t, struct incident *inc,
    int64_t now_us);

/*
 * incident_trim - drop the oldest released incidents beyond
 * INCIDENT_KEEP_MAX (pointers to them become invalid).
 */
void incident_trim(struct incident_tab *t);

#endif
