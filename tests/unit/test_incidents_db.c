/*
 * test_incidents_db.c - the SQLite incidents database
 * (src/store/incidents.c) in a temporary directory: insert, held rows
 * merged by instance and queue ID, release (twice, unknown), load in
 * order, max id, a duplicate id, reopen after a process killed with
 * SIGKILL right after its writes (no close), and a newer schema refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/err.h"
#include "store/incidents.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_incidents_db.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

struct loaded {
	int n_inc, n_held;
	uint64_t ids[8];
	int64_t released[8];
	char customers[8][32];
	char evidence[8][64];
	char held[16][64];	/* "ID QID INSTANCE" */
};

static int
on_inc(void *ctx, const struct incidents_db_row *row)
{
	struct loaded *l = ctx;

	if (l->n_inc < 8) {
		l->ids[l->n_inc] = row->id;
		l->released[l->n_inc] = row->released_us;
		snprintf(l->customers[l->n_inc], 32, "%s", row->customer);
		snprintf(l->evidence[l->n_inc], 64, "%s", row->evidence);
	}
	l->n_inc++;
	return 0;
}

static int
on_held(void *ctx, uint64_t id, const char *qid, const char *instance,
    int64_t t)
{
	struct loaded *l = ctx;

	(void)t;
	if (l->n_held < 16)
		snprintf(l->held[l->n_held], 64, "%llu %s %s",
		    (unsigned long long)id, qid[0] ? qid : "-",
		    instance[0] ? instance : "-");
	l->n_held++;
	return 0;
}

static void
insert(struct incidents_db *db, uint64_t id, const char *customer)
{
	struct incidents_db_row row = { 0 };

	row.id = id;
	row.customer = customer;
	row.opened_us = 1764460800000000LL + (int64_t)id;
	row.reason = "sprt";
	row.evidence = "{\"llr\": 7.1}";
	row.actions = 1;
	row.client_addrs = "[\"100.64.1.2\"]";
	assert_int_equal(incidents_db_insert(db, &row), 0);
}

static void
test_roundtrip(void **state)
{
	struct incidents_db *db;
	struct loaded l = { 0 };
	struct incidents_db_row dup = { 0 };
	uint64_t max = 99;
	char err[256];

	(void)state;
	assert_int_equal(incidents_db_open(dir, &db, err, sizeof(err)), 0);
	assert_int_equal(incidents_db_max_id(db, &max), 0);
	assert_int_equal(max, 0);
	insert(db, 1, "u1");
	insert(db, 2, "100.64.7.7");
	dup.id = 2;
	dup.customer = "x";
	dup.reason = "sprt";
	assert_int_equal(incidents_db_insert(db, &dup), ERR_EXIST);
	assert_int_equal(incidents_db_add_held(db, 1, "", "inst1", 10), 0);
	/* The queue ID of the same instance fills the row in. */
	assert_int_equal(incidents_db_add_held(db, 1, "3F2A41C0B7D", "inst1",
	    11), 0);
	assert_int_equal(incidents_db_add_held(db, 1, "4Xk2Lq1Zt3z9", "", 12),
	    0);
	assert_int_equal(incidents_db_add_held(db, 1, "4Xk2Lq1Zt3z9", "", 13),
	    0);
	assert_int_equal(incidents_db_add_held(db, 2, "AAAAA", "i2", 14), 0);
	assert_int_equal(incidents_db_release(db, 2, 2000), 0);
	assert_int_equal(incidents_db_release(db, 2, 3000), ERR_EXIST);
	assert_int_equal(incidents_db_release(db, 7, 3000), ERR_NOENT);
	assert_int_equal(incidents_db_max_id(db, &max), 0);
	assert_int_equal(max, 2);
	incidents_db_close(db);

	assert_int_equal(incidents_db_open(dir, &db, err, sizeof(err)), 0);
	assert_int_equal(incidents_db_load(db, on_inc, on_held, &l), 0);
	assert_int_equal(l.n_inc, 2);
	assert_int_equal(l.ids[0], 1);
	assert_int_equal(l.released[0], 0);
	assert_int_equal(l.released[1], 2000);
	assert_string_equal(l.customers[1], "100.64.7.7");
	assert_string_equal(l.evidence[0], "{\"llr\": 7.1}");
	assert_int_equal(l.n_held, 3);
	assert_string_equal(l.held[0], "1 3F2A41C0B7D inst1");
	assert_string_equal(l.held[1], "1 4Xk2Lq1Zt3z9 -");
	assert_string_equal(l.held[2], "2 AAAAA i2");
	incidents_db_close(db);
}

/* A writer killed with SIGKILL right after its calls returned. */
static void
test_kill9(void **state)
{
	struct incidents_db *db;
	struct loaded l = { 0 };
	char err[256];
	pid_t pid;
	int status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (incidents_db_open(dir, &db, err, sizeof(err)) != 0)
			_exit(3);
		insert(db, 5, "u5");
		if (incidents_db_add_held(db, 5, "QID5", "i5", 1) != 0)
			_exit(4);
		kill(getpid(), SIGKILL);
		_exit(5);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(incidents_db_open(dir, &db, err, sizeof(err)), 0);
	assert_int_equal(incidents_db_load(db, on_inc, on_held, &l), 0);
	assert_int_equal(l.n_inc, 1);
	assert_int_equal(l.ids[0], 5);
	assert_int_equal(l.n_held, 1);
	assert_string_equal(l.held[0], "5 QID5 i5");
	incidents_db_close(db);
}

static int
stop_at_first(void *ctx, const struct incidents_db_row *row)
{
	(void)ctx;
	(void)row;
	return 42;
}

static void
test_load_stops(void **state)
{
	struct incidents_db *db;
	char err[256];

	(void)state;
	assert_int_equal(incidents_db_open(dir, &db, err, sizeof(err)), 0);
	insert(db, 1, "u1");
	insert(db, 2, "u2");
	assert_int_equal(incidents_db_load(db, stop_at_first, on_held, NULL),
	    42);
	incidents_db_close(db);
}

static void
test_bad_dir_and_newer_schema(void **state)
{
	struct incidents_db *db = NULL;
	char err[256], cmd[256];

	(void)state;
	assert_int_not_equal(incidents_db_open("/nonexistent/dir/x", &db, err,
	    sizeof(err)), 0);
	assert_null(db);
	assert_non_null(strstr(err, "incidents database"));
	snprintf(cmd, sizeof(cmd), "sqlite3 %s/incidents.db "
	    "'PRAGMA user_version = 9' 2>/dev/null", dir);
	if (system(cmd) != 0) {
		/* No sqlite3 tool: make the file through the library. */
		assert_int_equal(incidents_db_open(dir, &db, err, sizeof(err)),
		    0);
		incidents_db_close(db);
		skip();
	}
	assert_int_equal(incidents_db_open(dir, &db, err, sizeof(err)),
	    ERR_UNSUPPORTED);
	assert_non_null(strstr(err, "newer"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_kill9, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_stops, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_dir_and_newer_schema,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
