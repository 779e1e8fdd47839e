/*
 * act.h - carrying out detection.on_compromise in the daemon: the engine
 * decides (hold, reject) and reports each incident once; this module does
 * what needs the outside world:
 *
 *   list    the incident's client addresses go into the `detection`
 *           dataset of every zone that has one, until the incident is
 *           released (then they are unlisted);
 *   notify  detection.notify_command runs once per incident, with the
 *           incident as one JSON object (incident_fmt.h) on its stdin;
 *   always  one log line per incident opened or released.
 *
 * Commands run through /bin/sh -c, without waiting: children are reaped
 * by act_reap() (called from the daemon's tick), and a non-zero exit is
 * logged.
 */
#ifndef RG_DAEMON_ACT_H
#define RG_DAEMON_ACT_H

#include "conf/conf.h"
#include "engine/engine.h"

struct dns_svc;
struct act;

/* act_new - NULL on ENOMEM. */
struct act *act_new(void);

/* act_set - the config and DNS service to act with (both borrowed). */
void act_set(struct act *act, const struct conf *conf, struct dns_svc *dns);

/* act_on_incident - an engine_incident_fn; ctx is the struct act. */
void act_on_incident(void *ctx, const struct engine_incident *inc);

/*
 * act_relist - list the client addresses of an open incident again (at
 * start-up, for incidents restored from the incidents database).
 */
void act_relist(struct act *act, const struct engine_incident *inc);

/* act_reap - collect finished notify commands; logs failures. */
void act_reap(struct act *act);

/* act_free - NULL is a no-op; running commands are left to finish. */
void act_free(struct act *act);

#endif
