/*
 * dnsbl_serve.c - a standalone DNSBL server for tests and benchmarks:
 * loads a relayguard config (only its listen.dns and zone blocks matter),
 * runs the DNS service (src/svc/dns.h) on an event loop, and nothing else.
 *
 *   dnsbl_serve -c CONF [-w WORKERS] [-V VERSION] [-l ADDR]
 *
 * -l overrides listen.dns.  SIGHUP re-reads the config and reloads the
 * zones (build aside, swap); SIGTERM/SIGINT stop.  SIGUSR1 lists
 * 198.51.100.77 in the first detection dataset of the first zone for 1 h
 * and SIGUSR2 unlists it (the integration tests' way to edit a running
 * server without the HTTP API).  The daemon (build/relayguardd) does the
 * same with the whole product; tests choose with one variable.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf/conf.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "svc/dns.h"

struct serve {
	const char *path;
	struct conf *conf;
	struct dns_svc *svc;
	struct event_base *base;
};

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct serve *s = arg;
	char err[CONF_ERR_MAX];
	struct conf *nc;

	(void)what;
	if (sig == SIGHUP) {
		if (conf_load(s->path, &nc, err, sizeof(err)) != 0) {
			log_error("reload: %s", err);
			return;
		}
		if (dns_svc_reload(s->svc, nc, err, sizeof(err)) != 0) {
			conf_free(nc);
			return;
		}
		conf_free(s->conf);
		s->conf = nc;
		return;
	}
	if (sig == SIGUSR1 || sig == SIGUSR2) {
		struct dnsbl_detection *d;
		struct ipprefix p;
		int64_t now = clock_now_us() / 1000000;

		if (s->conf->n_zones == 0 ||
		    (d = dns_svc_detection(s->svc, s->conf->zones[0].name, NULL)) == NULL) {
			log_warn("no detection dataset in the first zone");
			return;
		}
		ipprefix_parse("198.51.100.77", 13, &p);
		if (sig == SIGUSR1)
			log_info("list 198.51.100.77: %s",
			    err_str(dnsbl_detection_list(d, &p, now + 3600, NULL, now)));
		else
			log_info("unlist 198.51.100.77: %s",
			    err_str(dnsbl_detection_unlist(d, &p)));
		return;
	}
	event_base_loopbreak(s->base);
}

int
main(int argc, char **argv)
{
	struct dns_svc_options opt;
	struct serve s;
	char err[CONF_ERR_MAX];
	const char *listen_addr = NULL;
	struct event *ev[5];
	int sigs[5] = { SIGHUP, SIGTERM, SIGINT, SIGUSR1, SIGUSR2 };
	size_t i;
	int c;

	memset(&s, 0, sizeof(s));
	memset(&opt, 0, sizeof(opt));
	while ((c = getopt(argc, argv, "c:w:V:l:")) != -1) {
		switch (c) {
		case 'c': s.path = optarg; break;
		case 'w': opt.workers = (unsigned)atoi(optarg); break;
		case 'V': opt.version = optarg; break;
		case 'l': listen_addr = optarg; break;
		default:
			fprintf(stderr, "usage: dnsbl_serve -c CONF [-w WORKERS] [-V VERSION] [-l ADDR]\n");
			return 2;
		}
	}
	if (s.path == NULL) {
		fprintf(stderr, "usage: dnsbl_serve -c CONF [-w WORKERS] [-V VERSION] [-l ADDR]\n");
		return 2;
	}
	log_open("dnsbl_serve", 1);
	signal(SIGPIPE, SIG_IGN);
	if (conf_load(s.path, &s.conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "dnsbl_serve: %s\n", err);
		return 2;
	}
	if ((s.base = event_base_new()) == NULL)
		return 1;
	if ((s.svc = dns_svc_new_opts(s.base, s.conf, &opt, err, sizeof(err))) == NULL) {
		fprintf(stderr, "dnsbl_serve: %s\n", err);
		return 2;
	}
	if (listen_addr != NULL) {
		if (dns_svc_listen(s.svc, listen_addr, err, sizeof(err)) != 0) {
			fprintf(stderr, "dnsbl_serve: %s\n", err);
			return 1;
		}
	}
	for (i = 0; listen_addr == NULL && i < s.conf->listen_dns.n; i++)
		if (dns_svc_listen(s.svc, s.conf->listen_dns.v[i], err, sizeof(err)) != 0) {
			fprintf(stderr, "dnsbl_serve: %s\n", err);
			return 1;
		}
	for (i = 0; i < 5; i++) {
		ev[i] = evsignal_new(s.base, sigs[i], on_signal, &s);
		event_add(ev[i], NULL);
	}
	log_info("dnsbl_serve: ready");
	event_base_dispatch(s.base);
	for (i = 0; i < 5; i++)
		event_free(ev[i]);
	dns_svc_free(s.svc);
	conf_free(s.conf);
	event_base_free(s.base);
	return 0;
}
