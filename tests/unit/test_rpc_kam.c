/*
 * The typed readers over replies captured from Kamailio 5.6.3 (the fuzz
 * corpus), and over replies of the wrong shape.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/binrpc.h"
#include "proxy/rpc.h"
#include "proxy/rpc_kam.h"

#define CORPUS FIXTURES "/../fuzz/corpus/binrpc"

static struct rpc_result res;

/* A finished call's result holding the captured reply `name`. */
static struct rpc_result *
captured(const char *name)
{
	char path[1024], err[256];
	uint8_t *buf = malloc(BINRPC_MAX_PACKET);
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", CORPUS, name);
	assert_non_null(f = fopen(path, "rb"));
	len = fread(buf, 1, BINRPC_MAX_PACKET, f);
	fclose(f);
	memset(&res, 0, sizeof(res));
	res.addr = "unix:/x/ctl.sock";
	res.method = name;
	res.reply = binrpc_reply_decode(buf, len, err, sizeof(err));
	free(buf);
	if (res.reply == NULL)
		fail_msg("%s: %s", name, err);
	res.status = res.reply->fault ? RPC_FAULT : RPC_OK;
	res.no_method = res.reply->fault &&
	    strstr(res.reply->fault_msg, "not found") != NULL;
	return &res;
}

/* A result holding a reply built from body. */
static struct rpc_result *
built(struct binrpc_buf *body)
{
	size_t len;
	uint8_t *pkt = binrpc_packet(1, 1, body, &len);

	memset(&res, 0, sizeof(res));
	res.addr = "unix:/x/ctl.sock";
	res.method = "m";
	res.reply = binrpc_reply_decode(pkt, len, NULL, 0);
	assert_non_null(res.reply);
	free(pkt);
	binrpc_buf_reset(body);
	return &res;
}

static void
teardown_res(void)
{
	binrpc_reply_free(res.reply);
	free(res.error);
	memset(&res, 0, sizeof(res));
}

static void
test_shmmem(void **state)
{
	struct rpc_kam_shmmem m;

	(void)state;
	assert_int_equal(rpc_kam_shmmem(captured("core.shmmem"), &m), 0);
	assert_true(m.total == 16 * 1024 * 1024);
	assert_true(m.used > 1000000 && m.used < m.real_used);
	assert_true(m.free + m.real_used == m.total);
	assert_true(m.max_used >= m.real_used);
	assert_true(m.fragments >= 1);
	teardown_res();
}

static void
test_pkg_stats(void **state)
{
	struct rpc_kam_pkg_stats s;
	size_t i;

	(void)state;
	assert_int_equal(rpc_kam_pkg_stats(captured("pkg.stats"), &s), 0);
	assert_true(s.n >= 7);
	for (i = 0; i < s.n; i++) {
		assert_true(s.procs[i].entry == (int64_t)i);
		assert_true(s.procs[i].pid > 1);
		assert_true(s.procs[i].total_size == 4 * 1024 * 1024);
		assert_true(s.procs[i].used > 0);
	}
	assert_string_equal(s.procs[0].desc, "main process - attendant");
	/* timers have rank -1 (PROC_TIMER): ints stay signed */
	assert_true(s.procs[3].rank < 0);
	rpc_kam_pkg_stats_clear(&s);
	teardown_res();
}

static void
test_psx_tm(void **state)
{
	struct rpc_kam_procs ps;
	struct rpc_kam_tm_stats tm;

	(void)state;
	assert_int_equal(rpc_kam_psx(captured("core.psx"), &ps), 0);
	assert_true(ps.n >= 7);
	assert_true(ps.procs[6].idx == 6);
	assert_string_equal(ps.procs[0].desc, "main process - attendant");
	rpc_kam_procs_clear(&ps);
	teardown_res();

	assert_int_equal(rpc_kam_tm_stats(captured("tm.stats"), &tm), 0);
	assert_true(tm.current == 0 && tm.created == tm.freed);
	teardown_res();
}

static void
test_mem_stats(void **state)
{
	struct rpc_kam_mem_stats ms;
	uint64_t sum = 0;
	size_t i;

	(void)state;
	assert_int_equal(rpc_kam_mem_stats(captured("mod.mem_stats_core_shm"),
	    &ms), 0);
	assert_int_equal(ms.n, 1);
	assert_string_equal(ms.mods[0].module, "core");
	assert_true(ms.mods[0].nsites > 5);
	for (i = 0; i < ms.mods[0].nsites; i++) {
		assert_true(ms.mods[0].sites[i].line > 0);
		assert_true(strchr(ms.mods[0].sites[i].func, '(') == NULL);
		sum += ms.mods[0].sites[i].bytes;
	}
	assert_true(sum == ms.mods[0].total);
	rpc_kam_mem_stats_clear(&ms);
	teardown_res();

	/* all modules, both pools: one entry per module */
	assert_int_equal(rpc_kam_mem_stats(captured("mod.mem_stats_all_all"),
	    &ms), 0);
	assert_true(ms.n > 5);
	rpc_kam_mem_stats_clear(&ms);
	teardown_res();
}

static void
test_cfg_version(void **state)
{
	int64_t v = -1;
	char *s;

	(void)state;
	assert_int_equal(rpc_kam_cfg_int(captured("cfg.get_core_memlog"), &v),
	    0);
	assert_true(v >= 0 && v <= 5);
	teardown_res();
	assert_int_equal(rpc_kam_done(captured("cfg.set_now_int")), 0);
	teardown_res();
	assert_int_equal(rpc_kam_version(captured("core.version"), &s), 0);
	assert_non_null(strstr(s, "kamailio 5.6"));
	free(s);
	teardown_res();

	/* a fault: status and message come through */
	assert_int_equal(rpc_kam_cfg_int(captured("fault-not-readable"), &v),
	    -1);
	assert_int_equal(res.status, RPC_FAULT);
	teardown_res();
}

static void
test_dispatcher(void **state)
{
	struct rpc_kam_ds_list ds;

	(void)state;
	assert_int_equal(rpc_kam_ds_list(captured("dispatcher.list_full"),
	    &ds), 0);
	assert_int_equal(ds.n, 2);
	assert_true(ds.sets[0].id + ds.sets[1].id == 3);
	assert_int_equal(ds.sets[0].n + ds.sets[1].n, 3);
	assert_non_null(strstr(ds.sets[0].dests[0].uri, "sip:127.0.0.1:50"));
	rpc_kam_ds_list_clear(&ds);
	teardown_res();
}

static void
test_not_loaded(void **state)
{
	struct rpc_kam_dlg_active d;
	struct rpc_kam_ds_list ds;

	(void)state;
	assert_int_equal(rpc_kam_dlg_active(captured("fault-no-command"), &d),
	    -1);
	assert_int_equal(res.status, RPC_FAULT);
	assert_string_equal(res.error, "unix:/x/ctl.sock: fault-no-command: "
	    "module dialog is not loaded (500 command core.nosuchthing not "
	    "found)");
	teardown_res();
	assert_int_equal(rpc_kam_ds_list(captured("fault-no-command"), &ds),
	    -1);
	assert_non_null(strstr(res.error, "module dispatcher is not loaded"));
	teardown_res();
}

static void
test_wrong_shapes(void **state)
{
	struct binrpc_buf b = { NULL, 0, 0 };
	struct rpc_kam_shmmem m;
	struct rpc_kam_pkg_stats s;
	struct rpc_kam_mem_stats ms;
	struct rpc_kam_dlg_active d;
	int64_t v;

	(void)state;
	binrpc_put_str(&b, "no struct", 9);
	assert_int_equal(rpc_kam_shmmem(built(&b), &m), -1);
	assert_int_equal(res.status, RPC_BADREPLY);
	assert_string_equal(res.error, "unix:/x/ctl.sock: m: unexpected "
	    "reply: string instead of struct");
	teardown_res();

	binrpc_put_start(&b, BINRPC_STRUCT);
	binrpc_put_name(&b, "total");
	binrpc_put_str(&b, "12", 2);
	binrpc_put_end(&b, BINRPC_STRUCT);
	assert_int_equal(rpc_kam_shmmem(built(&b), &m), -1);
	assert_non_null(strstr(res.error, "no number \"total\""));
	teardown_res();

	binrpc_put_int(&b, 3);
	assert_int_equal(rpc_kam_pkg_stats(built(&b), &s), -1);
	assert_int_equal(res.status, RPC_BADREPLY);
	teardown_res();

	binrpc_put_start(&b, BINRPC_STRUCT);
	binrpc_put_end(&b, BINRPC_STRUCT);
	assert_int_equal(rpc_kam_mem_stats(built(&b), &ms), -1);
	teardown_res();

	assert_int_equal(rpc_kam_cfg_int(built(&b), &v), -1);
	assert_non_null(strstr(res.error, "nothing instead of int"));
	teardown_res();

	/* a transport error stays what it was */
	memset(&res, 0, sizeof(res));
	res.addr = "unix:/x/ctl.sock";
	res.method = "dlg.stats_active";
	rpc_result_fail(&res, RPC_TIMEOUT, "timed out after 2.0 s");
	assert_int_equal(rpc_kam_dlg_active(&res, &d), -1);
	assert_int_equal(res.status, RPC_TIMEOUT);
	assert_string_equal(res.error, "unix:/x/ctl.sock: dlg.stats_active: "
	    "timed out after 2.0 s");
	teardown_res();
}

static void
test_requests(void **state)
{
	struct binrpc_req *r = rpc_kam_req_cfg_set_now_int("core", "memlog",
	    1);
	struct binrpc_req *all[] = { rpc_kam_req_shmmem(),
		rpc_kam_req_pkg_stats(), rpc_kam_req_tm_stats(),
		rpc_kam_req_psx(), rpc_kam_req_mem_stats("all", "shm"),
		rpc_kam_req_cfg_get("core", "memlog"), rpc_kam_req_version(),
		rpc_kam_req_dlg_active(), rpc_kam_req_ds_list() };
	static const char *names[] = { "core.shmmem", "pkg.stats", "tm.stats",
		"core.psx", "mod.mem_stats", "cfg.get", "core.version",
		"dlg.stats_active", "dispatcher.list" };
	uint8_t *pkt;
	size_t len, i;

	(void)state;
	pkt = binrpc_req_encode(r, 9, &len);
	/* header, method, two strings, int 1 */
	assert_int_equal(len, 4 + 18 + 6 + 8 + 2);
	assert_memory_equal(pkt + len - 2, "\x10\x01", 2);
	free(pkt);
	binrpc_req_free(r);
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		assert_string_equal(binrpc_req_method(all[i]), names[i]);
		binrpc_req_free(all[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shmmem),
		cmocka_unit_test(test_pkg_stats),
		cmocka_unit_test(test_psx_tm),
		cmocka_unit_test(test_mem_stats),
		cmocka_unit_test(test_cfg_version),
		cmocka_unit_test(test_dispatcher),
		cmocka_unit_test(test_not_loaded),
		cmocka_unit_test(test_wrong_shapes),
		cmocka_unit_test(test_requests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
