/*
 * dns.c - the DNSBL's DNS service (see dns.h for the design).
 *
 * Why hand-written sockets instead of libevent for UDP: the target is
 * 1.5 x rbldnsd's queries per second on one core; recvmmsg/sendmmsg move
 * up to DNS_BATCH datagrams per system call, and a worker blocking in
 * recvmmsg (with a short SO_RCVTIMEO to notice shutdown) costs no poll
 * round trip.  Buffers are allocated once per worker; nothing is
 * allocated per query.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "dnsbl/dnsbl_axfr.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "proto/rbldnsd_data.h"
#include "svc/dns.h"

#define DNS_BATCH 64
#define DNS_RBUF 4096			/* one received datagram */
#define DNS_OBUF 4096			/* one UDP reply */
#define DNS_RCVBUF (8 << 20)
#define TCP_IDLE_S 10
#define AXFR_SNDTIMEO_S 30

/*
 * Per zone index (the last: outside every zone), written by one thread
 * each (a worker, or the loop for TCP) with relaxed atomics and summed
 * by the loop: about 15 KiB per worker.
 */
struct counters {
	_Atomic uint64_t q[DNS_SVC_ZONES_MAX + 1];
	_Atomic uint64_t listed[DNS_SVC_ZONES_MAX + 1];
	_Atomic uint64_t rc[DNS_SVC_ZONES_MAX + 1][DNS_SVC_RCODES];
};

struct worker {
	struct dns_svc *svc;
	int fd;
	pthread_t tid;
	bool started;
	struct counters c;
};

struct det_reg {
	char *zone, *ds;
	struct dnsbl_detection *d;
};

struct stamp {
	char *path;
	struct stat st;
};

struct dns_svc {
	struct event_base *base;
	struct dns_svc_options opt;
	char *version;
	const struct conf *conf;	/* borrowed, see dns.h */
	pthread_mutex_t lock;		/* zs, gen */
	struct dnsbl_zones *zs;		/* one reference */
	atomic_uint gen;
	atomic_bool stop;
	atomic_int axfr_active;
	struct worker **workers;
	size_t n_workers;
	struct evconnlistener **tcp;
	size_t n_tcp;
	struct counters tcp_c;		/* TCP queries (loop thread) */
	uint64_t last_q[DNS_SVC_ZONES_MAX + 1], last_l[DNS_SVC_ZONES_MAX + 1],
	    last_nx[DNS_SVC_ZONES_MAX + 1];
	struct det_reg *dets;
	size_t n_dets;
	struct stamp *stamps;		/* the data files of zs */
	size_t n_stamps;
	struct stamp *pending;		/* a change seen at the last check */
	size_t n_pending;
	struct event *ev_check, *ev_stats;
};

/* ------------------------------------------------------------ helpers */

static void
count(struct counters *c, const struct dnsbl_answer_info *info)
{
	size_t z = info->zone >= 0 && info->zone < DNS_SVC_ZONES_MAX ?
	    (size_t)info->zone : DNS_SVC_ZONES_MAX;

	atomic_fetch_add_explicit(&c->q[z], 1, memory_order_relaxed);
	if (info->listed)
		atomic_fetch_add_explicit(&c->listed[z], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->rc[z][dns_svc_rcode_index(info->rcode)],
	    1, memory_order_relaxed);
}

static int64_t
now_s(void)
{
	return clock_now_us() / 1000000;
}

/*
 * answer_packet - the reply to one query into out; 0: send nothing
 * (a reply, or an AXFR the caller handles when info->xfr).
 */
static size_t
answer_packet(const struct dnsbl_zones *zs, const uint8_t *pkt, size_t len,
    uint8_t *out, size_t cap, bool tcp, int64_t now, struct dnsbl_answer_info *info,
    struct dns_msg_query *q)
{
	size_t off;
	int rc;

	info->zone = -1;
	info->listed = info->xfr = false;
	rc = dns_msg_parse_query(pkt, len, q, &off);
	if (rc == 0)
		return dnsbl_zones_answer(zs, q, pkt, out, cap, tcp, now, info);
	if (rc == ERR_INVAL || len < DNS_MSG_HDR_LEN)
		return 0;	/* a reply, or not even a header: silence */
	info->rcode = rc == ERR_UNSUPPORTED ? DNS_RCODE_NOTIMP : DNS_RCODE_FORMERR;
	return dnsbl_zones_error(q, pkt, false, info->rcode, out, cap);
}

/* take_zones - the current set with a reference, and its generation. */
static struct dnsbl_zones *
take_zones(struct dns_svc *svc, unsigned *gen)
{
	struct dnsbl_zones *zs;

	pthread_mutex_lock(&svc->lock);
	zs = dnsbl_zones_ref(svc->zs);
	*gen = atomic_load(&svc->gen);
	pthread_mutex_unlock(&svc->lock);
	return zs;
}

/* ------------------------------------------------------------ UDP workers */

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct dns_svc *svc = w->svc;
	struct mmsghdr *in, *outm;
	struct iovec *iov_in, *iov_out;
	struct sockaddr_storage *peers;
	uint8_t *rbuf, *obuf;
	struct dns_msg_query q;
	struct dnsbl_zones *zs;
	unsigned gen;
	size_t i;

	in = xcalloc(DNS_BATCH, sizeof(*in));
	outm = xcalloc(DNS_BATCH, sizeof(*outm));
	iov_in = xcalloc(DNS_BATCH, sizeof(*iov_in));
	iov_out = xcalloc(DNS_BATCH, sizeof(*iov_out));
	peers = xcalloc(DNS_BATCH, sizeof(*peers));
	rbuf = xmalloc((size_t)DNS_BATCH * DNS_RBUF);
	obuf = xmalloc((size_t)DNS_BATCH * DNS_OBUF);
	if (in == NULL || outm == NULL || iov_in == NULL || iov_out == NULL ||
	    peers == NULL || rbuf == NULL || obuf == NULL) {
		log_error("dns: worker: out of memory; UDP on this socket is not served");
		goto out;
	}
	for (i = 0; i < DNS_BATCH; i++) {
		iov_in[i].iov_base = rbuf + i * DNS_RBUF;
		iov_in[i].iov_len = DNS_RBUF;
		in[i].msg_hdr.msg_iov = &iov_in[i];
		in[i].msg_hdr.msg_iovlen = 1;
		in[i].msg_hdr.msg_name = &peers[i];
	}
	zs = take_zones(svc, &gen);
	while (!atomic_load(&svc->stop)) {
		int n, sent, k;
		unsigned nout = 0;
		int64_t now;

		for (i = 0; i < DNS_BATCH; i++)
			in[i].msg_hdr.msg_namelen = sizeof(peers[i]);
		n = recvmmsg(w->fd, in, DNS_BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_warn("dns: recvmmsg: %s", strerror(errno));
			if (atomic_load(&svc->gen) != gen) {
				dnsbl_zones_unref(zs);
				zs = take_zones(svc, &gen);
			}
			continue;
		}
		if (atomic_load(&svc->gen) != gen) {
			/* A reload swapped the zones: take the new set. */
			dnsbl_zones_unref(zs);
			zs = take_zones(svc, &gen);
		}
		now = now_s();
		for (k = 0; k < n; k++) {
			struct dnsbl_answer_info info;
			size_t len;

			if (in[k].msg_hdr.msg_flags & MSG_TRUNC)
				in[k].msg_len = 2;	/* too big: drop below */
			len = answer_packet(zs, iov_in[k].iov_base, in[k].msg_len,
			    obuf + nout * DNS_OBUF, DNS_OBUF, false, now, &info, &q);
			if (len == 0)
				continue;
			count(&w->c, &info);
			iov_out[nout].iov_base = obuf + nout * DNS_OBUF;
			iov_out[nout].iov_len = len;
			memset(&outm[nout].msg_hdr, 0, sizeof(outm[nout].msg_hdr));
			outm[nout].msg_hdr.msg_iov = &iov_out[nout];
			outm[nout].msg_hdr.msg_iovlen = 1;
			outm[nout].msg_hdr.msg_name = &peers[k];
			outm[nout].msg_hdr.msg_namelen = in[k].msg_hdr.msg_namelen;
			nout++;
		}
		for (sent = 0; (unsigned)sent < nout;) {
			int r = sendmmsg(w->fd, outm + sent, nout - (unsigned)sent, 0);

			if (r < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK ||
				    errno == ENOBUFS) {
					struct timespec ts = { 0, 100000 };

					nanosleep(&ts, NULL);
					continue;
				}
				sent++;	/* skip the one the kernel refused */
				continue;
			}
			sent += r;
		}
	}
	dnsbl_zones_unref(zs);
out:
	xfree(in);
	xfree(outm);
	xfree(iov_in);
	xfree(iov_out);
	xfree(peers);
	xfree(rbuf);
	xfree(obuf);
	return NULL;
}

/* ------------------------------------------------------------ TCP */

struct tcp_conn {
	struct dns_svc *svc;
	struct bufferevent *bev;
	struct ipaddr peer;
	char peer_text[IPADDR_STRLEN];
	int fd;
};

struct axfr_job {
	struct dns_svc *svc;
	struct dnsbl_zones *zs;		/* one reference */
	size_t zone;
	struct dns_msg_query q;
	uint8_t *pkt;
	int fd;
	char peer[IPADDR_STRLEN];
};

static int
axfr_emit(void *arg, const uint8_t *msg, size_t len)
{
	struct axfr_job *j = arg;
	uint8_t hdr[2];
	struct iovec iov[2];
	struct msghdr mh;
	size_t done = 0, total = len + 2;

	dns_msg_put16(hdr, (uint16_t)len);
	while (done < total) {
		ssize_t r;

		iov[0].iov_base = hdr + (done < 2 ? done : 2);
		iov[0].iov_len = done < 2 ? 2 - done : 0;
		iov[1].iov_base = (uint8_t *)(uintptr_t)msg + (done > 2 ? done - 2 : 0);
		iov[1].iov_len = len - (done > 2 ? done - 2 : 0);
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = 2;
		r = sendmsg(j->fd, &mh, MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return ERR_IO;
		}
		done += (size_t)r;
	}
	return 0;
}

static void *
axfr_main(void *arg)
{
	struct axfr_job *j = arg;
	int rc;

	rc = dnsbl_axfr(&j->zs->z[j->zone], &j->q, j->pkt, now_s(), axfr_emit, j);
	if (rc != 0)
		log_warn("dns: %s: AXFR of %s failed: %s", j->peer,
		    j->zs->z[j->zone].name, err_str(rc));
	else
		log_info("dns: %s: AXFR of %s, serial %u", j->peer,
		    j->zs->z[j->zone].name, dnsbl_zone_serial(&j->zs->z[j->zone]));
	close(j->fd);
	dnsbl_zones_unref(j->zs);
	xfree(j->pkt);
	atomic_fetch_sub(&j->svc->axfr_active, 1);
	xfree(j);
	return NULL;
}

static void
tcp_close(struct tcp_conn *c)
{
	bufferevent_free(c->bev);
	if (c->fd >= 0)
		close(c->fd);
	xfree(c);
}

/* tcp_axfr - hand the connection to a transfer thread; true if it did. */
static bool
tcp_axfr(struct tcp_conn *c, const struct dns_msg_query *q, const uint8_t *pkt,
    size_t len, const struct dnsbl_answer_info *info)
{
	struct dns_svc *svc = c->svc;
	struct axfr_job *j = xcalloc(1, sizeof(*j));
	struct timeval tv = { AXFR_SNDTIMEO_S, 0 };
	pthread_t tid;
	pthread_attr_t attr;

	if (j == NULL || (j->pkt = xmalloc(len)) == NULL) {
		xfree(j);
		return false;
	}
	memcpy(j->pkt, pkt, len);
	j->svc = svc;
	j->q = *q;
	j->zone = (size_t)info->zone;
	j->fd = c->fd;
	snprintf(j->peer, sizeof(j->peer), "%s", c->peer_text);
	pthread_mutex_lock(&svc->lock);
	j->zs = dnsbl_zones_ref(svc->zs);
	pthread_mutex_unlock(&svc->lock);
	fcntl(j->fd, F_SETFL, fcntl(j->fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(j->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	atomic_fetch_add(&svc->axfr_active, 1);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&tid, &attr, axfr_main, j) != 0) {
		pthread_attr_destroy(&attr);
		atomic_fetch_sub(&svc->axfr_active, 1);
		dnsbl_zones_unref(j->zs);
		xfree(j->pkt);
		xfree(j);
		return false;
	}
	pthread_attr_destroy(&attr);
	c->fd = -1;	/* the thread closes it */
	tcp_close(c);
	return true;
}

static void
tcp_read(struct bufferevent *bev, void *arg)
{
	struct tcp_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t pkt[DNS_MSG_TCP_MAX], out[DNS_MSG_TCP_MAX + 2];

	while (evbuffer_get_length(in) >= 2) {
		struct dnsbl_answer_info info;
		struct dns_msg_query q;
		uint8_t hdr[2];
		size_t len, olen;

		evbuffer_copyout(in, hdr, 2);
		len = dns_msg_get16(hdr);
		if (evbuffer_get_length(in) < len + 2)
			return;
		evbuffer_drain(in, 2);
		evbuffer_remove(in, pkt, len);
		olen = answer_packet(c->svc->zs, pkt, len, out + 2, sizeof(out) - 2,
		    true, now_s(), &info, &q);
		if (info.xfr) {
			const struct dnsbl_zone *z = &c->svc->zs->z[info.zone];

			count(&c->svc->tcp_c, &info);
			if (dnsbl_zone_xfr_allowed(z, &c->peer)) {
				if (tcp_axfr(c, &q, pkt, len, &info))
					return;
				olen = dnsbl_zones_error(&q, pkt, true, DNS_RCODE_SERVFAIL,
				    out + 2, sizeof(out) - 2);
			} else {
				log_warn("dns: %s: AXFR of %s refused (not in allow_transfer)",
				    c->peer_text, z->name);
				olen = dnsbl_zones_error(&q, pkt, true, DNS_RCODE_REFUSED,
				    out + 2, sizeof(out) - 2);
			}
		} else if (olen > 0)
			count(&c->svc->tcp_c, &info);
		if (olen == 0)
			continue;
		dns_msg_put16(out, (uint16_t)olen);
		bufferevent_write(bev, out, olen + 2);
	}
}

static void
tcp_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	tcp_close(arg);
}

static void
tcp_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct dns_svc *svc = arg;
	struct tcp_conn *c = xcalloc(1, sizeof(*c));
	struct timeval idle = { TCP_IDLE_S, 0 };

	(void)l;
	(void)salen;
	if (c == NULL) {
		close(fd);
		return;
	}
	c->svc = svc;
	c->fd = fd;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		c->peer.bytes[10] = c->peer.bytes[11] = 0xff;
		memcpy(c->peer.bytes + 12, &s4->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6)
		memcpy(c->peer.bytes, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	ipaddr_format(&c->peer, c->peer_text, sizeof(c->peer_text));
	if ((c->bev = bufferevent_socket_new(svc->base, fd, 0)) == NULL) {
		close(fd);
		xfree(c);
		return;
	}
	bufferevent_setcb(c->bev, tcp_read, NULL, tcp_event, c);
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* ------------------------------------------------------------ reload */

static void
stamps_free(struct stamp *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		xfree(s[i].path);
	xfree(s);
}

/* stamps_take - stat every data file of conf (missing: zeroed). */
static struct stamp *
stamps_take(const struct conf *conf, size_t *n)
{
	struct stamp *s;
	size_t i, j, k = 0, total = 0;

	for (i = 0; i < conf->n_zones; i++)
		total += conf->zones[i].n_datasets;
	if ((s = xcalloc(total + 1, sizeof(*s))) == NULL)
		return NULL;
	for (i = 0; i < conf->n_zones; i++)
		for (j = 0; j < conf->zones[i].n_datasets; j++) {
			const char *f = conf->zones[i].datasets[j].file;

			if (f == NULL)
				continue;
			s[k].path = xstrdup(f);
			if (stat(f, &s[k].st) != 0)
				memset(&s[k].st, 0, sizeof(s[k].st));
			k++;
		}
	*n = k;
	return s;
}

static bool
stamps_equal(const struct stamp *a, size_t na, const struct stamp *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na; i++)
		if (a[i].st.st_mtim.tv_sec != b[i].st.st_mtim.tv_sec ||
		    a[i].st.st_mtim.tv_nsec != b[i].st.st_mtim.tv_nsec ||
		    a[i].st.st_size != b[i].st.st_size ||
		    a[i].st.st_ino != b[i].st.st_ino)
			return false;
	return true;
}

static struct dnsbl_detection *
det_provide(void *arg, const struct conf_zone *cz, const struct conf_dataset *cd,
    char *err, size_t errcap)
{
	struct dns_svc *svc = arg;
	uint32_t a = DNSBL_TEST_A;
	struct det_reg *r;
	size_t i;

	if (cd->a != NULL && rbldnsd_data_parse_a(cd->a, strlen(cd->a), &a) != 0) {
		snprintf(err, errcap, "zone %s: dataset %s: a: invalid A value \"%s\"",
		    cz->name, cd->name, cd->a);
		return NULL;
	}
	for (i = 0; i < svc->n_dets; i++)
		if (strcmp(svc->dets[i].zone, cz->name) == 0 &&
		    strcmp(svc->dets[i].ds, cd->name) == 0) {
			if (dnsbl_detection_set_defaults(svc->dets[i].d, a, cd->txt,
			    cz->ttl_s != 0 ? cz->ttl_s : 2100) != 0)
				break;
			return svc->dets[i].d;
		}
	if ((r = xreallocarray(svc->dets, svc->n_dets + 1, sizeof(*r))) == NULL)
		goto nomem;
	svc->dets = r;
	r = &svc->dets[svc->n_dets];
	r->zone = xstrdup(cz->name);
	r->ds = xstrdup(cd->name);
	r->d = dnsbl_detection_new(cd->name, a, cd->txt, cz->ttl_s != 0 ? cz->ttl_s : 2100);
	if (r->zone == NULL || r->ds == NULL || r->d == NULL) {
		xfree(r->zone);
		xfree(r->ds);
		dnsbl_detection_free(r->d);
		goto nomem;
	}
	svc->n_dets++;
	return r->d;
nomem:
	snprintf(err, errcap, "zone %s: dataset %s: out of memory", cz->name, cd->name);
	return NULL;
}

static int
svc_load(struct dns_svc *svc, const struct conf *conf, char *err, size_t errcap)
{
	struct dnsbl_zones *zs, *old;
	struct stamp *st;
	size_t nst = 0, i, entries = 0;
	int64_t t0 = clock_mono_us();
	int rc;

	if ((st = stamps_take(conf, &nst)) == NULL) {
		snprintf(err, errcap, "dns: out of memory");
		return ERR_NOMEM;
	}
	rc = dnsbl_zones_build(conf, svc->zs, det_provide, svc, svc->version,
	    now_s(), &zs, err, errcap);
	if (rc != 0) {
		/* Remember the stamps anyway: retry only when a file changes again. */
		stamps_free(svc->stamps, svc->n_stamps);
		svc->stamps = st;
		svc->n_stamps = nst;
		return rc;
	}
	pthread_mutex_lock(&svc->lock);
	old = svc->zs;
	svc->zs = zs;
	atomic_fetch_add(&svc->gen, 1);
	pthread_mutex_unlock(&svc->lock);
	dnsbl_zones_unref(old);
	svc->conf = conf;
	stamps_free(svc->stamps, svc->n_stamps);
	svc->stamps = st;
	svc->n_stamps = nst;
	for (i = 0; i < zs->n; i++) {
		size_t d, n = 0;

		for (d = 0; d < zs->z[i].n_ds; d++)
			n += dnsbl_ds_count(zs->z[i].ds[d]);
		entries += n;
		log_info("dns: zone %s: %zu datasets, %zu entries, serial %u",
		    zs->z[i].name, zs->z[i].n_ds, n, dnsbl_zone_serial(&zs->z[i]));
	}
	log_info("dns: loaded %zu zones, %zu entries in %.3f s", zs->n, entries,
	    (double)(clock_mono_us() - t0) / 1e6);
	return 0;
}

int
dns_svc_reload(struct dns_svc *svc, const struct conf *conf, char *err,
    size_t errcap)
{
	int rc = svc_load(svc, conf, err, errcap);

	if (rc != 0)
		log_error("dns: reload: %s; keeping the old data", err);
	else
		svc->conf = conf;
	stamps_free(svc->pending, svc->n_pending);
	svc->pending = NULL;
	svc->n_pending = 0;
	return rc;
}

static void
svc_check(evutil_socket_t fd, short what, void *arg)
{
	struct dns_svc *svc = arg;
	char err[CONF_ERR_MAX];
	struct stamp *now;
	size_t n;

	(void)fd;
	(void)what;
	if (svc->conf == NULL || (now = stamps_take(svc->conf, &n)) == NULL)
		return;
	if (stamps_equal(now, n, svc->stamps, svc->n_stamps)) {
		stamps_free(now, n);
		stamps_free(svc->pending, svc->n_pending);
		svc->pending = NULL;
		svc->n_pending = 0;
		return;
	}
	/* Changed: reload once it has stayed the same for one interval. */
	if (svc->pending != NULL && stamps_equal(now, n, svc->pending, svc->n_pending)) {
		stamps_free(now, n);
		log_info("dns: a data file changed; reloading");
		dns_svc_reload(svc, svc->conf, err, sizeof(err));
		return;
	}
	stamps_free(svc->pending, svc->n_pending);
	svc->pending = now;
	svc->n_pending = n;
}

static void
sum(const struct counters *c, size_t z, uint64_t *q, uint64_t *l, uint64_t *nx)
{
	*q += atomic_load_explicit(&c->q[z], memory_order_relaxed);
	*l += atomic_load_explicit(&c->listed[z], memory_order_relaxed);
	*nx += atomic_load_explicit(&c->rc[z][DNS_RCODE_NXDOMAIN],
	    memory_order_relaxed);
}

/* sum_zone - every counter of zone index z, over TCP and the workers. */
static void
sum_zone(const struct dns_svc *svc, size_t z, struct dns_svc_zone_stats *out)
{
	const struct counters *c;
	size_t i, r;

	memset(out, 0, sizeof(*out));
	for (i = 0; i <= svc->n_workers; i++) {
		c = i < svc->n_workers ? &svc->workers[i]->c : &svc->tcp_c;
		out->queries += atomic_load_explicit(&c->q[z],
		    memory_order_relaxed);
		out->listed += atomic_load_explicit(&c->listed[z],
		    memory_order_relaxed);
		for (r = 0; r < DNS_SVC_RCODES; r++)
			out->by_rcode[r] += atomic_load_explicit(&c->rc[z][r],
			    memory_order_relaxed);
	}
}

unsigned
dns_svc_rcode_index(unsigned rcode)
{
	return rcode < DNS_SVC_RCODES - 1 ? rcode : DNS_SVC_RCODES - 1;
}

const char *
dns_svc_rcode_name(unsigned i)
{
	static const char *const names[DNS_SVC_RCODES] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		"REFUSED", "other"
	};

	return names[dns_svc_rcode_index(i)];
}

size_t
dns_svc_zone_stats(const struct dns_svc *svc, size_t i, const char **zone,
    struct dns_svc_zone_stats *out)
{
	size_t n = svc->zs->n < DNS_SVC_ZONES_MAX ? svc->zs->n :
	    DNS_SVC_ZONES_MAX;

	if (i > n)
		return n + 1;
	*zone = i < n ? svc->zs->z[i].name : NULL;
	sum_zone(svc, i < n ? i : DNS_SVC_ZONES_MAX, out);
	return n + 1;
}

static void
svc_stats(evutil_socket_t fd, short what, void *arg)
{
	struct dns_svc *svc = arg;
	size_t z, i;

	(void)fd;
	(void)what;
	for (z = 0; z <= DNS_SVC_ZONES_MAX; z++) {
		uint64_t q = 0, l = 0, nx = 0;
		const char *name;

		if (z < DNS_SVC_ZONES_MAX && z >= svc->zs->n)
			continue;
		sum(&svc->tcp_c, z, &q, &l, &nx);
		for (i = 0; i < svc->n_workers; i++)
			sum(&svc->workers[i]->c, z, &q, &l, &nx);
		if (q == svc->last_q[z])
			continue;
		name = z < DNS_SVC_ZONES_MAX ? svc->zs->z[z].name : "(outside every zone)";
		log_info("dns: zone %s: %llu queries, %llu listed, %llu nxdomain in the last %u s",
		    name, (unsigned long long)(q - svc->last_q[z]),
		    (unsigned long long)(l - svc->last_l[z]),
		    (unsigned long long)(nx - svc->last_nx[z]), svc->opt.stats_s);
		svc->last_q[z] = q;
		svc->last_l[z] = l;
		svc->last_nx[z] = nx;
	}
}

/* ------------------------------------------------------------ life cycle */

struct dns_svc *
dns_svc_new_opts(struct event_base *base, const struct conf *conf,
    const struct dns_svc_options *opts, char *err, size_t errcap)
{
	struct dns_svc *svc = xcalloc(1, sizeof(*svc));
	struct timeval tv = { 0, 0 };

	if (svc == NULL) {
		snprintf(err, errcap, "dns: out of memory");
		return NULL;
	}
	svc->base = base;
	if (opts != NULL)
		svc->opt = *opts;
	if (svc->opt.workers == 0)
		svc->opt.workers = 1;
	if (svc->opt.workers > DNS_SVC_WORKERS_MAX)
		svc->opt.workers = DNS_SVC_WORKERS_MAX;
	if (svc->opt.check_s == 0)
		svc->opt.check_s = DNS_SVC_CHECK_S;
	if (svc->opt.stats_s == 0)
		svc->opt.stats_s = DNS_SVC_STATS_S;
	if (svc->opt.version != NULL && (svc->version = xstrdup(svc->opt.version)) == NULL) {
		xfree(svc);
		snprintf(err, errcap, "dns: out of memory");
		return NULL;
	}
	svc->opt.version = svc->version;
	pthread_mutex_init(&svc->lock, NULL);
	atomic_init(&svc->gen, 0);
	atomic_init(&svc->stop, false);
	atomic_init(&svc->axfr_active, 0);
	if (svc_load(svc, conf, err, errcap) != 0) {
		dns_svc_free(svc);
		return NULL;
	}
	svc->ev_check = event_new(base, -1, EV_PERSIST, svc_check, svc);
	svc->ev_stats = event_new(base, -1, EV_PERSIST, svc_stats, svc);
	if (svc->ev_check == NULL || svc->ev_stats == NULL) {
		dns_svc_free(svc);
		snprintf(err, errcap, "dns: cannot create timers");
		return NULL;
	}
	tv.tv_sec = svc->opt.check_s;
	event_add(svc->ev_check, &tv);
	tv.tv_sec = svc->opt.stats_s;
	event_add(svc->ev_stats, &tv);
	return svc;
}

struct dns_svc *
dns_svc_new(struct event_base *base, const struct conf *conf, char *err,
    size_t errcap)
{
	return dns_svc_new_opts(base, conf, NULL, err, errcap);
}

static int
parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(addr, ':');
	size_t hl;
	long port;
	char *end;

	if (colon == NULL)
		return ERR_INVAL;
	hl = (size_t)(colon - addr);
	if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']') {
		addr++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host))
		return ERR_INVAL;
	memcpy(host, addr, hl);
	host[hl] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		return ERR_INVAL;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		((struct sockaddr_in *)ss)->sin_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
		*len = sizeof(struct sockaddr_in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
		*len = sizeof(struct sockaddr_in6);
		return 0;
	}
	return ERR_INVAL;
}

static int
udp_socket(const struct sockaddr_storage *ss, socklen_t len, bool reuseport)
{
	struct timeval tv = { 0, 200000 };
	int one = 1, buf = DNS_RCVBUF;
	int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (const struct sockaddr *)ss, len) != 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

int
dns_svc_listen(struct dns_svc *svc, const char *addr, char *err, size_t errcap)
{
	struct sockaddr_storage ss;
	struct evconnlistener *l, **nl;
	struct worker **nw;
	socklen_t len;
	unsigned i;
	int fd;

	if (parse_addr(addr, &ss, &len) != 0) {
		snprintf(err, errcap, "%s: want HOST:PORT with a numeric host", addr);
		return ERR_INVAL;
	}
	if ((nw = xreallocarray(svc->workers, svc->n_workers + svc->opt.workers,
	    sizeof(*nw))) == NULL ||
	    (svc->workers = nw, (nl = xreallocarray(svc->tcp, svc->n_tcp + 1,
	    sizeof(*nl))) == NULL)) {
		snprintf(err, errcap, "%s: out of memory", addr);
		return ERR_NOMEM;
	}
	svc->tcp = nl;
	l = evconnlistener_new_bind(svc->base, tcp_accept, svc,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 128,
	    (struct sockaddr *)&ss, (int)len);
	if (l == NULL) {
		snprintf(err, errcap, "%s: TCP: %s", addr, strerror(errno));
		return ERR_IO;
	}
	svc->tcp[svc->n_tcp++] = l;
	for (i = 0; i < svc->opt.workers; i++) {
		struct worker *w;

		if ((fd = udp_socket(&ss, len, svc->opt.workers > 1)) < 0) {
			snprintf(err, errcap, "%s: UDP: %s", addr, strerror(-fd));
			return fd;
		}
		if ((w = xcalloc(1, sizeof(*w))) == NULL) {
			close(fd);
			snprintf(err, errcap, "%s: out of memory", addr);
			return ERR_NOMEM;
		}
		w->svc = svc;
		w->fd = fd;
		svc->workers[svc->n_workers++] = w;
		if (pthread_create(&w->tid, NULL, worker_main, w) != 0) {
			snprintf(err, errcap, "%s: cannot start a worker thread", addr);
			return ERR_NOMEM;
		}
		w->started = true;
	}
	return 0;
}

void
dns_svc_free(struct dns_svc *svc)
{
	size_t i;
	unsigned waited;

	if (svc == NULL)
		return;
	atomic_store(&svc->stop, true);
	for (i = 0; i < svc->n_workers; i++) {
		if (svc->workers[i]->started)
			pthread_join(svc->workers[i]->tid, NULL);
		close(svc->workers[i]->fd);
		xfree(svc->workers[i]);
	}
	xfree(svc->workers);
	for (i = 0; i < svc->n_tcp; i++)
		evconnlistener_free(svc->tcp[i]);
	xfree(svc->tcp);
	/* Transfers end within their send timeout. */
	for (waited = 0; atomic_load(&svc->axfr_active) > 0 &&
	    waited < (AXFR_SNDTIMEO_S + 5) * 100; waited++)
		usleep(10000);
	if (svc->ev_check != NULL)
		event_free(svc->ev_check);
	if (svc->ev_stats != NULL)
		event_free(svc->ev_stats);
	dnsbl_zones_unref(svc->zs);
	for (i = 0; i < svc->n_dets; i++) {
		xfree(svc->dets[i].zone);
		xfree(svc->dets[i].ds);
		dnsbl_detection_free(svc->dets[i].d);
	}
	xfree(svc->dets);
	stamps_free(svc->stamps, svc->n_stamps);
	stamps_free(svc->pending, svc->n_pending);
	xfree(svc->version);
	pthread_mutex_destroy(&svc->lock);
	xfree(svc);
}

struct dnsbl_detection *
dns_svc_detection(struct dns_svc *svc, const char *zone, const char *dataset)
{
	size_t i, z, d;

	for (z = 0; z < svc->zs->n; z++) {
		if (strcmp(svc->zs->z[z].name, zone) != 0)
			continue;
		for (d = 0; d < svc->zs->z[z].n_det; d++) {
			struct dnsbl_detection *det = svc->zs->z[z].det[d];

			if (dataset == NULL)
				return det;
			for (i = 0; i < svc->n_dets; i++)
				if (svc->dets[i].d == det && strcmp(svc->dets[i].ds, dataset) == 0)
					return det;
		}
	}
	return NULL;
}

int
dns_svc_lookup(struct dns_svc *svc, const struct ipaddr *addr, int64_t now,
    dns_svc_lookup_fn fn, void *arg)
{
	struct dnsbl_hits hits;
	size_t z;
	int n = 0;

	for (z = 0; z < svc->zs->n; z++)
		if (dnsbl_zone_lookup_addr(&svc->zs->z[z], addr, now, &hits)) {
			n++;
			if (fn != NULL)
				fn(arg, svc->zs->z[z].name, &hits);
		}
	return n;
}

uint32_t
dns_svc_serial(struct dns_svc *svc, const char *zone)
{
	size_t z;

	for (z = 0; z < svc->zs->n; z++)
		if (strcmp(svc->zs->z[z].name, zone) == 0)
			return dnsbl_zone_serial(&svc->zs->z[z]);
	return 0;
}
