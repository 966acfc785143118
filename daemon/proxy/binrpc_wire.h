/* binrpc's wire numbers, shared by binrpc.c and binrpc_enc.c. */
#ifndef MEMDIAG_BINRPC_WIRE_H
#define MEMDIAG_BINRPC_WIRE_H

#define BINRPC_MAGIC_VERS 0xA1
#define BINRPC_T_REQ 0
#define BINRPC_T_REPLY 1
#define BINRPC_T_FAULT 3

/* wire type numbers */
enum {
	W_INT = 0,
	W_STR = 1,
	W_DOUBLE = 2,
	W_STRUCT = 3,
	W_ARRAY = 4,
	W_AVP = 5,
	W_BYTES = 6,
};

#endif
