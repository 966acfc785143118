/*
 * binrpc: Kamailio's ctl wire format, encoded and decoded in memory. No
 * I/O: rpc.c moves the bytes. The decoder takes hostile input: every
 * length is bounds-checked, nesting and the number of values are capped,
 * and whatever it returns has been fully validated.
 */
#ifndef MEMDIAG_BINRPC_H
#define MEMDIAG_BINRPC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Largest packet we accept (header + body); ctl's replies are far smaller. */
#define BINRPC_MAX_PACKET (1024 * 1024)
/* Deepest nesting of structs and arrays in a reply (Kamailio uses < 6). */
#define BINRPC_MAX_DEPTH 32
/* Values in one reply: bounds the decoded tree to a few MB. */
#define BINRPC_MAX_VALUES (128 * 1024)

enum binrpc_type {
	BINRPC_INT,
	BINRPC_STR,
	BINRPC_DOUBLE,
	BINRPC_STRUCT,
	BINRPC_ARRAY,
	BINRPC_BYTES,
};

/*
 * One decoded value. Struct members carry a name; ctl also encodes its
 * arrays as structs of unnamed values, and repeats names (dispatcher's
 * "SET"), so a struct is an ordered list, not a map.
 */
struct binrpc_val {
	enum binrpc_type type;
	char *name;		/* struct member name, NULL otherwise */
	union {
		int64_t i;	/* BINRPC_INT */
		double d;	/* BINRPC_DOUBLE (fixed point, 3 decimals) */
		struct {
			char *s;	/* NUL-terminated copy */
			size_t len;	/* may hold NULs */
		} str;		/* BINRPC_STR, BINRPC_BYTES */
		struct {
			struct binrpc_val *v;
			size_t n;
		} list;		/* BINRPC_STRUCT, BINRPC_ARRAY */
	} u;
};

struct binrpc_reply {
	uint32_t cookie;
	int fault;		/* 1: a fault reply (fault_code, fault_msg) */
	int fault_code;
	char *fault_msg;
	struct binrpc_val *vals;	/* top-level values, in order */
	size_t nvals;
};

/* A request being built: method name, then typed parameters. */
struct binrpc_req;

struct binrpc_req *binrpc_req_new(const char *method);
void binrpc_req_free(struct binrpc_req *);
void binrpc_req_add_int(struct binrpc_req *, int32_t);
void binrpc_req_add_str(struct binrpc_req *, const char *);
void binrpc_req_add_double(struct binrpc_req *, double);
const char *binrpc_req_method(const struct binrpc_req *);
/* The whole packet (header + body), xmalloc'ed; *lenp gets its size. */
uint8_t *binrpc_req_encode(const struct binrpc_req *, uint32_t cookie,
    size_t *lenp);

/*
 * Framing for stream sockets: 1 and *pkt_len set once the header is in,
 * 0 when more bytes are needed to know, -1 (and *errp, static text) when
 * the bytes cannot start a binrpc packet or announce one above
 * BINRPC_MAX_PACKET.
 */
int binrpc_frame(const uint8_t *buf, size_t len, size_t *pkt_len,
    const char **errp);

/*
 * Decode one complete reply or fault packet. NULL on anything malformed,
 * with a one-line reason in err (always NUL-terminated).
 */
struct binrpc_reply *binrpc_reply_decode(const uint8_t *buf, size_t len,
    char *err, size_t errlen);
void binrpc_reply_free(struct binrpc_reply *);

/*
 * Encoder for replies (the mirror of the decoder): tests, fuzz seeds and
 * fakes of the ctl side build packets with it. Values are appended in
 * order; struct and array starts and ends are explicit.
 */
struct binrpc_buf {
	uint8_t *data;
	size_t len, cap;
};
void binrpc_put_int(struct binrpc_buf *, int32_t);
void binrpc_put_double(struct binrpc_buf *, double);
void binrpc_put_str(struct binrpc_buf *, const char *, size_t);
void binrpc_put_bytes(struct binrpc_buf *, const void *, size_t);
void binrpc_put_name(struct binrpc_buf *, const char *); /* member name */
void binrpc_put_start(struct binrpc_buf *, enum binrpc_type);
void binrpc_put_end(struct binrpc_buf *, enum binrpc_type);
/* Packet of type 0 request, 1 reply, 3 fault around body; xmalloc'ed. */
uint8_t *binrpc_packet(int type, uint32_t cookie, const struct binrpc_buf *body,
    size_t *lenp);
void binrpc_buf_reset(struct binrpc_buf *);

/* An integer value (an integral double counts); -1 if not one. */
int binrpc_val_int(const struct binrpc_val *, int64_t *out);
/* A size: ctl sends unsigned values as 32-bit ints, so a negative int is
 * read back as the unsigned value it wrapped from. */
int binrpc_val_size(const struct binrpc_val *, uint64_t *out);

/* Lookups in a decoded struct (first member of that name; NULL if none). */
const struct binrpc_val *binrpc_member(const struct binrpc_val *st,
    const char *name);
/* The same for members; -1 also when there is no such member. */
int binrpc_member_int(const struct binrpc_val *st, const char *name,
    int64_t *out);
int binrpc_member_size(const struct binrpc_val *st, const char *name,
    uint64_t *out);
const char *binrpc_member_str(const struct binrpc_val *st, const char *name);

/*
 * JSON view: an array of the top-level values; a struct is an object when
 * its members are all named and distinct, else an array whose named
 * members are one-key objects; a fault is {"fault":{"code","message"}}.
 */
json_t *binrpc_reply_json(const struct binrpc_reply *);
json_t *binrpc_val_json(const struct binrpc_val *);

const char *binrpc_type_name(enum binrpc_type);

#endif
