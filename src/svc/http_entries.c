/*
 * http_entries.c - persistence of the DNSBL detection entries
 * (http_entries.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnsbl/dnsbl_detection.h"
#include "http/jsonw.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/ipaddr.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "proto/ucl.h"
#include "svc/dns.h"
#include "svc/http_entries.h"

struct save_walk {
	struct jsonw *w;
	const char *zone;
};

static int
save_one(void *arg, const struct dnsbl_detection_info *e)
{
	struct save_walk *sw = arg;
	char text[IPPREFIX_STRLEN];

	ipprefix_format(&e->prefix, text, sizeof(text));
	jsonw_obj_begin(sw->w);
	jsonw_kstr(sw->w, "zone", sw->zone);
	jsonw_kstr(sw->w, "address", text);
	jsonw_kint(sw->w, "listed", e->listed_s);
	jsonw_kint(sw->w, "expires", e->expires_s);
	jsonw_key(sw->w, "txt");
	jsonw_str(sw->w, e->txt);
	jsonw_obj_end(sw->w);
	jsonw_newline(sw->w);
	return jsonw_error(sw->w);
}

int
http_entries_save(const struct conf *conf, struct dns_svc *dns, int64_t now_s,
    char *err, size_t errcap)
{
	char path[4096], tmp[4200];
	struct save_walk sw;
	struct jsonw w;
	size_t i, len, off = 0;
	ssize_t n;
	char *text;
	int fd, rc = 0;

	if (dns == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", conf->state_dir, HTTP_ENTRIES_FILE);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	jsonw_init(&w, HTTP_ENTRIES_FILE_MAX);
	sw.w = &w;
	for (i = 0; i < conf->n_zones; i++) {
		struct dnsbl_detection *det = dns_svc_detection(dns,
		    conf->zones[i].name, NULL);

		if (det == NULL)
			continue;
		sw.zone = conf->zones[i].name;
		dnsbl_detection_foreach(det, now_s, save_one, &sw);
	}
	if ((rc = jsonw_error(&w)) != 0 || (text = jsonw_take(&w, &len)) == NULL) {
		jsonw_fini(&w);
		snprintf(err, errcap, "%s: %s", path, err_str(rc ? rc : ERR_NOMEM));
		return rc ? rc : ERR_NOMEM;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errcap, "%s: %s", tmp, strerror(errno));
		xfree(text);
		return rc;
	}
	while (off < len) {
		n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (off != len || fsync(fd) != 0) {
		rc = ERR_IO;
		snprintf(err, errcap, "%s: %s", tmp, strerror(errno));
	}
	if (close(fd) != 0 && rc == 0) {
		rc = ERR_IO;
		snprintf(err, errcap, "%s: %s", tmp, strerror(errno));
	}
	if (rc == 0 && rename(tmp, path) != 0) {
		rc = ERR_IO;
		snprintf(err, errcap, "%s: %s", path, strerror(errno));
	}
	if (rc != 0)
		unlink(tmp);
	xfree(text);
	return rc;
}

/* One line: list its entry.  Returns 1 when listed, 0 skipped, < 0 bad. */
static int
load_line(struct dns_svc *dns, const char *line,
    size_t len, int64_t now_s, const char **why)
{
	const struct ucl_node *root, *zone, *addr, *listed, *expires, *txt;
	struct dnsbl_detection *det;
	struct ucl_doc *doc;
	struct ipprefix p;
	long long l = 0, e = 0;
	int rc = 0;

	if (ucl_parse(line, len, &doc, NULL) != 0) {
		*why = "not a JSON object";
		return ERR_MALFORMED;
	}
	root = ucl_doc_root(doc);
	zone = ucl_get(root, "zone");
	addr = ucl_get(root, "address");
	listed = ucl_get(root, "listed");
	expires = ucl_get(root, "expires");
	txt = ucl_get(root, "txt");
	if (zone == NULL || zone->type != UCL_STRING || addr == NULL ||
	    addr->type != UCL_STRING ||
	    ipprefix_parse(addr->str, addr->str_len, &p) != 0) {
		*why = "zone or address missing or bad";
		rc = ERR_MALFORMED;
		goto out;
	}
	if (listed != NULL && ucl_is_scalar(listed))
		l = atoll(listed->str);
	if (expires != NULL && ucl_is_scalar(expires))
		e = atoll(expires->str);
	if (e != 0 && e <= now_s)
		goto out;		/* expired while we were down */
	det = dns_svc_detection(dns, zone->str, NULL);
	if (det == NULL) {
		log_warn("http: entries: zone %s is gone; %s not restored",
		    zone->str, addr->str);
		goto out;
	}
	rc = dnsbl_detection_list(det, &p, e,
	    txt != NULL && txt->type == UCL_STRING ? txt->str : NULL,
	    l > 0 ? l : now_s);
	if (rc != 0)
		*why = err_str(rc);
	else
		rc = 1;
out:
	ucl_doc_free(doc);
	return rc;
}

long
http_entries_load(const struct conf *conf, struct dns_svc *dns, int64_t now_s,
    char *err, size_t errcap)
{
	char path[4096];
	const char *p, *nl, *why = "";
	char *text;
	size_t len;
	long n = 0;
	int line = 0, rc;

	if (dns == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", conf->state_dir, HTTP_ENTRIES_FILE);
	if (access(path, F_OK) != 0)
		return 0;
	if ((rc = file_read_all(path, HTTP_ENTRIES_FILE_MAX, &text, &len, err,
	    errcap)) != 0)
		return rc;
	for (p = text; p < text + len; p = nl + 1) {
		line++;
		nl = memchr(p, '\n', (size_t)(text + len - p));
		if (nl == NULL)
			nl = text + len;
		if (nl == p)
			continue;
		rc = load_line(dns, p, (size_t)(nl - p), now_s, &why);
		if (rc < 0) {
			snprintf(err, errcap, "%s:%d: %s", path, line, why);
			xfree(text);
			return rc;
		}
		n += rc;
	}
	xfree(text);
	return n;
}
