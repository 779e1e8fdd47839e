/*
 * client.c - `relayguard status | customers | incidents | release ID |
 * hold ID | unhold ID | list ADDR --zone Z [--ttl D] [--txt T] | unlist
 * ADDR --zone Z | lookup ADDR | complaint FILE|-`: a client of a running
 * relayguardd's HTTP API (SPEC section 1; man/relayguard-api.7).
 * `complaint` posts an abuse report (ARF, RFC 5965) of at most
 * CLIENT_COMPLAINT_MAX bytes, read from FILE or standard input, as
 * message/rfc822.
 *
 * The daemon's URL is --url, else http://ADDR for the first listen.http
 * address of the config (-c FILE, default CONF_DEFAULT_PATH when it
 * exists), else http://127.0.0.1:8053.  Changes send the token of
 * --token-file, else the config's http.token or http.token_file.
 * Output: tables for people; --json prints the API's JSON as is, for
 * scripts.  Exit status: 0 done, 1 the daemon refused or could not be
 * reached (its error message is printed), 2 bad usage or config.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/xmalloc.h"
#include "proto/ucl.h"

#define CLIENT_DEFAULT_URL "http://127.0.0.1:8053"
#define CLIENT_COMPLAINT_MAX ((size_t)1 << 20)	/* the API's limit */

struct client_opts {
	const char *cmd;
	char url[CLIENT_URL_MAX];
	char *token;			/* owned, NULL: none */
	const char *conf_path;
	const char *token_file;
	const char *zone, *ttl, *txt;
	const char *state, *network, *q;
	long limit;
	bool json;
	const char *ctype;		/* the body's type; NULL: JSON */
	size_t body_len;		/* with ctype: the body's length */
};

static void
client_usage(FILE *out, const char *cmd)
{
	fprintf(out,
	    "usage: relayguard %s [--url URL] [-c FILE] [--token-file FILE] [--json] ...\n"
	    "  relayguard status\n"
	    "  relayguard customers [--state incident|limited|watch|ok] [--network NAME]\n"
	    "                       [-q TEXT] [--limit N]\n"
	    "  relayguard incidents [--state open|released|all]\n"
	    "  relayguard release INCIDENT_ID\n"
	    "  relayguard hold CUSTOMER | unhold CUSTOMER\n"
	    "  relayguard list ADDR[/LEN] --zone ZONE [--ttl DURATION] [--txt TEXT]\n"
	    "  relayguard unlist ADDR[/LEN] --zone ZONE\n"
	    "  relayguard lookup ADDR\n"
	    "  relayguard complaint FILE|-   (an ARF abuse report)\n", cmd);
}

/* Read the token of a file: its first line, trimmed. */
static char *
token_of_file(const char *path)
{
	char err[512], *text, *tok;
	size_t len;

	if (file_read_all(path, 4096, &text, &len, err, sizeof(err)) != 0) {
		fprintf(stderr, "relayguard: %s\n", err);
		return NULL;
	}
	len = strcspn(text, "\r\n");
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	tok = xstrndup(text + strspn(text, " \t"), len - strspn(text, " \t"));
	xfree(text);
	return tok;
}

/* URL and token from the options and the config; 0 or 2 (usage). */
static int
client_setup(struct client_opts *o, bool url_given)
{
	struct conf *conf = NULL;
	const char *path = o->conf_path;

	if (path == NULL && (!url_given || o->token_file == NULL) &&
	    access(CONF_DEFAULT_PATH, R_OK) == 0)
		path = CONF_DEFAULT_PATH;
	if (path != NULL && (conf = cli_load_conf(path)) == NULL)
		return 2;
	if (!url_given) {
		if (conf != NULL && conf->listen_http.n > 0) {
			const char *a = conf->listen_http.v[0];

			if (strncmp(a, "*:", 2) == 0)
				snprintf(o->url, sizeof(o->url), "http://127.0.0.1%s",
				    a + 1);
			else
				snprintf(o->url, sizeof(o->url), "http://%s", a);
		} else {
			snprintf(o->url, sizeof(o->url), "%s", CLIENT_DEFAULT_URL);
		}
	}
	if (o->token_file != NULL) {
		if ((o->token = token_of_file(o->token_file)) == NULL) {
			conf_free(conf);
			return 2;
		}
	} else if (conf != NULL && conf->http_token != NULL) {
		o->token = xstrdup(conf->http_token);
	} else if (conf != NULL && conf->http_token_file != NULL &&
	    access(conf->http_token_file, R_OK) == 0) {
		o->token = token_of_file(conf->http_token_file);
	}
	conf_free(conf);
	return 0;
}

/* ------------------------------------------------------------ JSON */

static const struct ucl_node *
jget(const struct ucl_node *obj, const char *key)
{
	return obj != NULL && obj->type == UCL_OBJECT ? ucl_get(obj, key) : NULL;
}

static const char *
jstr(const struct ucl_node *obj, const char *key, const char *def)
{
	const struct ucl_node *n = jget(obj, key);

	if (n == NULL || !ucl_is_scalar(n) ||
	    (n->type == UCL_ATOM && strcmp(n->str, "null") == 0))
		return def;
	return n->str;
}

static double
jnum(const struct ucl_node *obj, const char *key)
{
	const char *s = jstr(obj, key, NULL);

	return s != NULL ? strtod(s, NULL) : 0;
}

static void
fmt_time(double t, char *buf, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0) {
		snprintf(buf, cap, "-");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(buf, cap, "%Y-%m-%d %H:%M:%SZ", &tm);
}

/* ------------------------------------------------------------ tables */

static void
print_status(const struct ucl_node *r)
{
	const struct ucl_node *cfg = jget(r, "config"), *eng = jget(r, "engine"),
	    *st = jget(r, "state"), *l = jget(r, "listeners"), *n;
	char when[64];

	printf("relayguardd %s, up %lds\n", jstr(r, "version", "?"),
	    (long)jnum(r, "uptime_s"));
	for (n = l ? l->child : NULL; n != NULL; n = n->next)
		printf("  listening: %s\n", n->str ? n->str : "?");
	printf("config:     %s (%s networks, %s limits, %s zones)\n",
	    jstr(cfg, "path", "?"), jstr(cfg, "networks", "0"),
	    jstr(cfg, "limits", "0"), jstr(cfg, "zones", "0"));
	fmt_time(jnum(cfg, "last_reload"), when, sizeof(when));
	printf("reloads:    %s (%s failed), last %s%s%s\n",
	    jstr(cfg, "reloads", "0"), jstr(cfg, "reload_failures", "0"), when,
	    jstr(cfg, "last_reload_error", NULL) ? ": " : "",
	    jstr(cfg, "last_reload_error", ""));
	printf("state:      %s in %s\n", jstr(st, "backend", "?"),
	    jstr(st, "dir", "?"));
	printf("customers:  %s tracked, %s by detection, %s open incidents\n",
	    jstr(eng, "customers", "0"), jstr(eng, "detection_customers", "0"),
	    jstr(eng, "incidents_open", "0"));
}

static void
print_customers(const struct ucl_node *r)
{
	const struct ucl_node *list = jget(r, "customers"), *c;

	printf("%-32s %-9s %6s %8s %8s %8s %s\n", "CUSTOMER", "STATE",
	    "SCORE", "PRESSURE", "REFUSED", "INCIDENT", "NETWORK");
	for (c = list ? list->child : NULL; c != NULL; c = c->next)
		printf("%-32s %-9s %6.2f %7.0f%% %8s %8s %s\n",
		    jstr(c, "customer", "?"), jstr(c, "state", "?"),
		    jnum(c, "score"), jnum(c, "pressure") * 100,
		    jstr(c, "refused", "0"), jstr(c, "incident", "-"),
		    jstr(c, "network", "")[0] ? jstr(c, "network", "") : "-");
	printf("(%s customers)\n", jstr(r, "total", "0"));
}

static void
print_incidents(const struct ucl_node *r)
{
	const struct ucl_node *list = jget(r, "incidents"), *c;
	char opened[64];

	printf("%6s %-8s %-32s %-10s %-20s %6s\n", "ID", "STATE", "CUSTOMER",
	    "REASON", "OPENED", "HELD");
	for (c = list ? list->child : NULL; c != NULL; c = c->next) {
		fmt_time(jnum(c, "opened"), opened, sizeof(opened));
		printf("%6s %-8s %-32s %-10s %-20s %6s\n", jstr(c, "id", "?"),
		    jstr(c, "state", "?"), jstr(c, "customer", "?"),
		    jstr(c, "reason", "?"), opened, jstr(c, "held", "0"));
	}
	printf("(%s incidents, %s open)\n", jstr(r, "total", "0"),
	    jstr(r, "open", "0"));
}

static void
print_release(const struct ucl_node *r)
{
	const struct ucl_node *cmds = jget(r, "postsuper"), *c;
	int n = 0;

	printf("incident %s released\n", jstr(r, "id", "?"));
	for (c = cmds ? cmds->child : NULL; c != NULL; c = c->next, n++) {
		if (n == 0)
			printf("free its held mail on the relay with:\n");
		printf("  %s\n", c->str ? c->str : "");
	}
	if (n == 0)
		printf("no held message has a known queue ID\n");
}

static void
print_lookup(const struct ucl_node *r)
{
	const struct ucl_node *l = jget(r, "listed"), *z, *a, *ans;
	int n = 0;

	for (z = l ? l->child : NULL; z != NULL; z = z->next) {
		ans = jget(z, "answers");
		for (a = ans ? ans->child : NULL; a != NULL; a = a->next, n++)
			printf("%s: %s %s%s%s\n", jstr(z, "zone", "?"),
			    jstr(a, "a", "?"), jstr(a, "txt", NULL) ? "\"" : "",
			    jstr(a, "txt", ""), jstr(a, "txt", NULL) ? "\"" : "");
	}
	if (n == 0)
		printf("%s is not listed in any zone\n", jstr(r, "address", "?"));
}

/* complaint: the answer of POST /api/v1/complaints. */
static void
print_complaint(const struct ucl_node *r)
{
	const char *inc = jstr(r, "incident", NULL);

	printf("%s complaint about %s (found by %s)%s\n",
	    jstr(r, "feedback_type", "?"), jstr(r, "customer", "?"),
	    jstr(r, "found_by", "?"), strcmp(jstr(r, "counted", "true"),
	    "true") == 0 ? "" : ", not counted");
	if (inc != NULL && strcmp(inc, "null") != 0)
		printf("incident %s is open for %s\n", inc,
		    jstr(r, "customer", "?"));
	else
		printf("no incident open for %s yet\n", jstr(r, "customer", "?"));
}

/* ------------------------------------------------------------ main */

/*
 * Read the report of path ("-": standard input) into *out, at most
 * CLIENT_COMPLAINT_MAX bytes; 0, or 2 with a message.
 */
static int
read_report(const char *path, char **out, size_t *len)
{
	char err[512], *buf, *nbuf;
	size_t cap = 65536, n = 0, got;

	*out = NULL;
	if (strcmp(path, "-") != 0) {
		if (file_read_all(path, CLIENT_COMPLAINT_MAX, out, len, err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "relayguard: complaint: %s\n", err);
			return 2;
		}
		return 0;
	}
	if ((buf = xmalloc(cap)) == NULL)
		return 2;
	while ((got = fread(buf + n, 1, cap - n, stdin)) > 0) {
		n += got;
		if (n > CLIENT_COMPLAINT_MAX) {
			fprintf(stderr, "relayguard: complaint: the report on "
			    "standard input exceeds %zu bytes\n",
			    CLIENT_COMPLAINT_MAX);
			xfree(buf);
			return 2;
		}
		if (n == cap) {
			if ((nbuf = xrealloc(buf, cap * 2)) == NULL) {
				xfree(buf);
				return 2;
			}
			buf = nbuf;
			cap *= 2;
		}
	}
	if (ferror(stdin)) {
		fprintf(stderr, "relayguard: complaint: reading standard "
		    "input failed\n");
		xfree(buf);
		return 2;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* Percent-encode arg into seg or fail with a message. */
static int
enc(const char *arg, char *seg, size_t cap)
{
	if (client_pct_encode(arg, seg, cap) != 0) {
		fprintf(stderr, "relayguard: argument too long: %.40s...\n", arg);
		return 2;
	}
	return 0;
}

/*
 * put_jstr - append s as a JSON string at offset k of buf (cap bytes,
 * at least 6 per byte of s and 3 more); returns the new offset.
 */
static size_t
put_jstr(char *buf, size_t cap, size_t k, const char *s)
{
	unsigned char ch;

	k += (size_t)snprintf(buf + k, cap - k, "\"");
	for (; *s != '\0'; s++) {
		ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			k += (size_t)snprintf(buf + k, cap - k, "\\%c", ch);
		else if (ch < 0x20)
			k += (size_t)snprintf(buf + k, cap - k, "\\u%04x", ch);
		else
			k += (size_t)snprintf(buf + k, cap - k, "%c", ch);
	}
	return k + (size_t)snprintf(buf + k, cap - k, "\"");
}

/*
 * Build the request of the subcommand; 0, 2 for bad usage, or 3 when a
 * file could not be read (said already).
 */
static int
client_request(struct client_opts *o, int argc, char **argv,
    const char **method, char *path, size_t cap, char **body)
{
	char seg[CLIENT_URL_MAX / 2], s2[CLIENT_URL_MAX / 4];
	const char *cmd = o->cmd;
	size_t n, k;

	*method = "GET";
	*body = NULL;
	if (strcmp(cmd, "status") == 0 || strcmp(cmd, "customers") == 0 ||
	    strcmp(cmd, "incidents") == 0) {
		if (argc != 0)
			return 2;
		if (strcmp(cmd, "status") == 0) {
			snprintf(path, cap, "/api/v1/status");
			return 0;
		}
		if (strcmp(cmd, "incidents") == 0) {
			if (enc(o->state ? o->state : "all", seg, sizeof(seg)))
				return 2;
			snprintf(path, cap, "/api/v1/incidents?state=%s&limit=10000", seg);
			return 0;
		}
		n = (size_t)snprintf(path, cap, "/api/v1/customers?limit=%ld",
		    o->limit > 0 ? o->limit : 50);
		if (o->state != NULL && !enc(o->state, seg, sizeof(seg)))
			n += (size_t)snprintf(path + n, cap - n, "&state=%s", seg);
		if (o->network != NULL && !enc(o->network, seg, sizeof(seg)))
			n += (size_t)snprintf(path + n, cap - n, "&network=%s", seg);
		if (o->q != NULL && !enc(o->q, seg, sizeof(seg)))
			snprintf(path + n, cap - n, "&q=%s", seg);
		return 0;
	}
	if (argc != 1)
		return 2;
	if (enc(argv[0], seg, sizeof(seg)))
		return 2;
	if (strcmp(cmd, "complaint") == 0) {
		*method = "POST";
		snprintf(path, cap, "/api/v1/complaints");
		o->ctype = "message/rfc822";
		if (read_report(argv[0], body, &o->body_len) != 0)
			return 3;
		if (o->body_len == 0) {
			fprintf(stderr, "relayguard: complaint: %s is empty\n",
			    argv[0]);
			xfree(*body);
			*body = NULL;
			return 3;
		}
	} else if (strcmp(cmd, "release") == 0) {
		*method = "POST";
		snprintf(path, cap, "/api/v1/incidents/%s/release", seg);
	} else if (strcmp(cmd, "hold") == 0 || strcmp(cmd, "unhold") == 0) {
		*method = "POST";
		snprintf(path, cap, "/api/v1/customers/%s/%s", seg, cmd);
	} else if (strcmp(cmd, "lookup") == 0) {
		snprintf(path, cap, "/api/v1/lookup?address=%s", seg);
	} else if (strcmp(cmd, "list") == 0 || strcmp(cmd, "unlist") == 0) {
		if (o->zone == NULL) {
			fprintf(stderr, "relayguard: %s: --zone ZONE is required\n",
			    cmd);
			return 2;
		}
		if (enc(o->zone, s2, sizeof(s2)))
			return 2;
		if (strcmp(cmd, "unlist") == 0) {
			*method = "DELETE";
			snprintf(path, cap, "/api/v1/zones/%s/entries?address=%s",
			    s2, seg);
			return 0;
		}
		*method = "POST";
		snprintf(path, cap, "/api/v1/zones/%s/entries", s2);
		n = strlen(argv[0]) * 6 + (o->ttl ? strlen(o->ttl) * 6 : 0) +
		    (o->txt ? strlen(o->txt) * 6 : 0) + 64;
		if ((*body = xmalloc(n)) == NULL)
			return 2;
		k = (size_t)snprintf(*body, n, "{\"address\": ");
		k = put_jstr(*body, n, k, argv[0]);
		if (o->ttl != NULL) {
			k += (size_t)snprintf(*body + k, n - k, ", \"ttl\": ");
			k = put_jstr(*body, n, k, o->ttl);
		}
		if (o->txt != NULL) {
			k += (size_t)snprintf(*body + k, n - k, ", \"txt\": ");
			k = put_jstr(*body, n, k, o->txt);
		}
		snprintf(*body + k, n - k, "}");
	} else {
		return 2;
	}
	return 0;
}

static void
print_result(const struct client_opts *o, const struct ucl_node *r,
    const char *arg)
{
	const char *cmd = o->cmd;

	if (strcmp(cmd, "status") == 0)
		print_status(r);
	else if (strcmp(cmd, "customers") == 0)
		print_customers(r);
	else if (strcmp(cmd, "incidents") == 0)
		print_incidents(r);
	else if (strcmp(cmd, "release") == 0)
		print_release(r);
	else if (strcmp(cmd, "hold") == 0)
		printf("customer %s held: incident %s\n", arg,
		    jstr(r, "incident", "?"));
	else if (strcmp(cmd, "unhold") == 0)
		print_release(r);
	else if (strcmp(cmd, "lookup") == 0)
		print_lookup(r);
	else if (strcmp(cmd, "list") == 0)
		printf("listed %s in %s%s%s\n", jstr(r, "address", arg),
		    jstr(r, "zone", o->zone), jstr(r, "expires", NULL) ?
		    " for " : "", jstr(r, "expires", NULL) ? o->ttl : "");
	else if (strcmp(cmd, "unlist") == 0)
		printf("unlisted %s from %s\n", jstr(r, "address", arg),
		    jstr(r, "zone", o->zone));
	else if (strcmp(cmd, "complaint") == 0)
		print_complaint(r);
}

int
client_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "config", required_argument, NULL, 'c' },
		{ "token-file", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "zone", required_argument, NULL, 'z' },
		{ "ttl", required_argument, NULL, 'T' },
		{ "txt", required_argument, NULL, 'x' },
		{ "state", required_argument, NULL, 's' },
		{ "network", required_argument, NULL, 'n' },
		{ "limit", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct client_opts o;
	struct client_resp resp;
	struct ucl_doc *doc = NULL;
	const char *method;
	char path[CLIENT_URL_MAX * 2], err[512], *body = NULL;
	bool url_given = false;
	int c, rc;

	memset(&o, 0, sizeof(o));
	o.cmd = argv[0];
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:q:hj", longopts, NULL)) != -1) {
		switch (c) {
		case 'u':
			snprintf(o.url, sizeof(o.url), "%s", optarg);
			url_given = true;
			break;
		case 'c': o.conf_path = optarg; break;
		case 't': o.token_file = optarg; break;
		case 'j': o.json = true; break;
		case 'z': o.zone = optarg; break;
		case 'T': o.ttl = optarg; break;
		case 'x': o.txt = optarg; break;
		case 's': o.state = optarg; break;
		case 'n': o.network = optarg; break;
		case 'q': o.q = optarg; break;
		case 'l': o.limit = atol(optarg); break;
		case 'h':
			client_usage(stdout, o.cmd);
			return 0;
		default:
			client_usage(stderr, o.cmd);
			return 2;
		}
	}
	if ((rc = client_request(&o, argc - optind, argv + optind, &method,
	    path, sizeof(path), &body)) != 0) {
		if (rc == 3)
			return 2;
		client_usage(stderr, o.cmd);
		return 2;
	}
	if ((rc = client_setup(&o, url_given)) != 0) {
		xfree(body);
		return rc;
	}
	if (strcmp(method, "GET") != 0 && o.token == NULL)
		fprintf(stderr, "relayguard: %s: no API token (--token-file, or "
		    "http.token_file in the config); the daemon will refuse\n",
		    o.cmd);
	rc = client_http_body(o.url, method, path, o.token, o.ctype != NULL ?
	    o.ctype : "application/json", body, o.ctype != NULL ? o.body_len :
	    body != NULL ? strlen(body) : 0, &resp, err, sizeof(err));
	xfree(body);
	xfree(o.token);
	if (rc != 0) {
		fprintf(stderr, "relayguard: %s: %s\n", o.cmd, err);
		return 1;
	}
	if (ucl_parse(resp.body, resp.body_len, &doc, NULL) != 0 ||
	    resp.body[strspn(resp.body, " \r\n\t")] != '{') {
		fprintf(stderr, "relayguard: %s: %s answered HTTP %d without "
		    "JSON\n", o.cmd, o.url, resp.status);
		ucl_doc_free(doc);
		client_resp_fini(&resp);
		return 1;
	}
	if (resp.status >= 300) {
		fprintf(stderr, "relayguard: %s: %s (HTTP %d)\n", o.cmd,
		    jstr(ucl_doc_root(doc), "error", "error"), resp.status);
		if (o.json)
			fputs(resp.body, stdout);
		rc = 1;
	} else if (o.json) {
		fputs(resp.body, stdout);
	} else {
		print_result(&o, ucl_doc_root(doc), argc > optind ?
		    argv[optind] : "");
	}
	ucl_doc_free(doc);
	client_resp_fini(&resp);
	return rc;
}
