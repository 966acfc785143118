/*
 * gendump: write a Kamailio 5.x qm full status dump (shm) with N in-use
 * fragments to stdout, in the -E stderr format, for the parser benchmark.
 * Sites, sizes and addresses are spread deterministically so the dump
 * looks like a busy proxy's; the header totals match the fragments.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static const char *sites[] = {
	"tm: h_table.c: build_cell(334)",
	"core: core/sip_msg_clone.c: sip_msg_shm_clone(495)",
	"core: core/sip_msg_clone.c: msg_lump_cloner(973)",
	"core: core/msg_translator.c: build_req_buf_from_sip_req(2233)",
	"tm: t_reply.c: relay_reply(2061)",
	"htable: ht_api.c: ht_cell_new(186)",
	"usrloc: ucontact.c: new_ucontact(134)",
	"dialog: dlg_hash.c: build_new_dlg(424)",
	"core: core/str_hash.h: str_hash_alloc(59)",
	"core: core/counters.c: cnt_hash_add(339)",
	"tm: t_fwd.c: prepare_new_uac(418)",
	"dispatcher: ../../core/lock_alloc.h: lock_alloc(12)",
};

int
main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	const char *pfx = " 0(5591) INFO: qm_status: qm_status(): ";
	const size_t nsites = sizeof(sites) / sizeof(sites[0]);
	uint64_t used = 0, addr = 0x7f02a41350f0ULL, heap;
	unsigned long i;

	for (i = 0; i < n; i++)
		used += 8 + 8 * ((i * 2654435761UL) % 1041);
	heap = (used * 2 + (1ULL << 30)) & ~4095ULL;
	printf(" 0(5591) INFO: <core> [main.c:755]: handle_sigs(): "
	       "Memory status (shm):\n");
	printf("%s(0x7f02a3ea7000):\n", pfx);
	printf("%sheap size= %llu\n", pfx, (unsigned long long)heap);
	printf("%sused= %llu, used+overhead=%llu, free=%llu\n", pfx,
	    (unsigned long long)used, (unsigned long long)(used + n * 56),
	    (unsigned long long)(heap - used - n * 56));
	printf("%smax used (+overhead)= %llu\n", pfx,
	    (unsigned long long)(used + n * 56));
	printf("%sdumping all alloc'ed. fragments:\n", pfx);
	for (i = 0; i < n; i++) {
		uint64_t size = 8 + 8 * ((i * 2654435761UL) % 1041);

		printf("%s%6lu. N  address=0x%llx frag=0x%llx size=%llu "
		       "used=1\n", pfx, i, (unsigned long long)addr,
		    (unsigned long long)(addr - 56),
		    (unsigned long long)size);
		printf("%s          alloc'd from %s\n", pfx,
		    sites[(i * 7 + i / 13) % nsites]);
		printf("%s         start check=f0f0f0f0, end check= c0c0c0c0, "
		       "abcdefed\n", pfx);
		addr += size + 56;
	}
	printf("%sdumping free list stats :\n", pfx);
	printf("%shash= 2058. fragments no.:     1, unused:     0\n", pfx);
	printf("\t\t bucket size:   8388608 -  16777216 (first  13521064)\n");
	printf("%s-----------------------------\n", pfx);
	return 0;
}
