/*
 * act.c - the outside-world part of detection.on_compromise (see act.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/act.h"
#include "dnsbl/dnsbl_detection.h"
#include "engine/incident_fmt.h"
#include "lib/err.h"
#include "lib/ipaddr.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "svc/dns.h"

struct act {
	const struct conf *conf;	/* borrowed */
	struct dns_svc *dns;		/* borrowed; NULL: no zones */
};

struct act *
act_new(void)
{
	return xcalloc(1, sizeof(struct act));
}

void
act_set(struct act *act, const struct conf *conf, struct dns_svc *dns)
{
	act->conf = conf;
	act->dns = dns;
}

/* act_listing - list (on) or unlist every client address of inc. */
static void
act_listing(struct act *act, const struct engine_incident *inc, int on)
{
	int64_t now_s = (int64_t)time(NULL);
	size_t i, z;

	if (act->dns == NULL)
		return;
	for (i = 0; i < inc->n_client_addrs; i++) {
		struct ipprefix host;
		const char *a = inc->client_addrs[i];

		if (ipaddr_parse(a, strlen(a), &host.addr) != 0)
			continue;
		host.len = 128;
		for (z = 0; z < act->conf->n_zones; z++) {
			const char *zone = act->conf->zones[z].name;
			struct dnsbl_detection *det = dns_svc_detection(act->dns, zone, NULL);
			int rc;

			if (det == NULL)
				continue;
			rc = on ? dnsbl_detection_list(det, &host, 0, NULL, now_s) :
			    dnsbl_detection_unlist(det, &host);
			if (rc != 0 && !(rc == ERR_NOENT && !on))
				log_error("incident %llu: %s %s in zone %s: %s",
				    (unsigned long long)inc->id, on ? "listing" : "unlisting",
				    a, zone, err_str(rc));
			else if (rc == 0)
				log_info("incident %llu: %s %s in zone %s",
				    (unsigned long long)inc->id, on ? "listed" : "unlisted", a, zone);
		}
	}
}

/* act_notify - run notify_command with the incident on its stdin. */
static void
act_notify(struct act *act, const struct engine_incident *inc)
{
	const char *cmd = act->conf->detection_notify_command;
	char *json;
	size_t len;
	int fds[2];
	pid_t pid;
	ssize_t n;

	if (cmd == NULL || incident_fmt_json(inc, &json, &len) != 0)
		return;
	if (pipe2(fds, O_CLOEXEC) != 0) {
		log_error("incident %llu: notify: pipe: %s", (unsigned long long)inc->id,
		    strerror(errno));
		xfree(json);
		return;
	}
	if ((pid = fork()) < 0) {
		log_error("incident %llu: notify: fork: %s", (unsigned long long)inc->id,
		    strerror(errno));
		close(fds[0]);
		close(fds[1]);
		xfree(json);
		return;
	}
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (dup2(fds[0], STDIN_FILENO) < 0)
			_exit(126);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	/* The pipe holds 64 KiB; an incident is a few KiB.  Never block the loop. */
	(void)fcntl(fds[1], F_SETFL, O_NONBLOCK);
	n = write(fds[1], json, len);
	if (n != (ssize_t)len)
		log_warn("incident %llu: notify: %s took %zd of %zu bytes",
		    (unsigned long long)inc->id, cmd, n, len);
	close(fds[1]);
	xfree(json);
	log_info("incident %llu: notify: started %s (pid %ld)",
	    (unsigned long long)inc->id, cmd, (long)pid);
}

void
act_on_incident(void *ctx, const struct engine_incident *inc)
{
	struct act *act = ctx;

	if (inc->released_us != 0) {
		log_warn("incident %llu: customer %s released; %llu held messages",
		    (unsigned long long)inc->id, inc->customer,
		    (unsigned long long)inc->n_held);
		if (inc->actions & CONF_ON_LIST)
			act_listing(act, inc, 0);
		return;
	}
	log_warn("incident %llu: customer %s compromised (%s); actions:%s%s%s%s",
	    (unsigned long long)inc->id, inc->customer, inc->reason,
	    inc->actions & CONF_ON_HOLD ? " hold" : "",
	    inc->actions & CONF_ON_REJECT ? " reject" : "",
	    inc->actions & CONF_ON_LIST ? " list" : "",
	    inc->actions & CONF_ON_NOTIFY ? " notify" : "");
	if (inc->actions & CONF_ON_LIST)
		act_listing(act, inc, 1);
	if (inc->actions & CONF_ON_NOTIFY)
		act_notify(act, inc);
}

void
act_relist(struct act *act, const struct engine_incident *inc)
{
	if (inc->released_us == 0 && (inc->actions & CONF_ON_LIST))
		act_listing(act, inc, 1);
}

void
act_reap(struct act *act)
{
	pid_t pid;
	int status;

	(void)act;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			continue;
		log_error("notify: pid %ld %s %d", (long)pid,
		    WIFEXITED(status) ? "exited with status" : "killed by signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	}
}

void
act_free(struct act *act)
{
	xfree(act);
}
