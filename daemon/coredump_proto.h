/* The kernel's core socket request protocol (core_pattern "@@PATH",
 * Linux >= 6.17, include/uapi/linux/coredump.h): on connecting, the kernel
 * sends a coredump_req (its size first), waits for a coredump_ack that
 * says what to do (write the core, reject it, ...), answers with a 4-byte
 * mark and then, for COREDUMP_KERNEL, writes the core. Everything the
 * peer sends is treated as hostile: sizes are checked before anything is
 * read past them. Pure functions, fuzzed by tests/fuzz/fuzz-coredump-req.c. */
#ifndef CW_DAEMON_COREDUMP_PROTO_H
#define CW_DAEMON_COREDUMP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define CW_COREDUMP_KERNEL    (1ULL << 0)
#define CW_COREDUMP_USERSPACE (1ULL << 1)
#define CW_COREDUMP_REJECT    (1ULL << 2)
#define CW_COREDUMP_WAIT      (1ULL << 3)

#define CW_COREDUMP_REQ_SIZE_VER0 16U
#define CW_COREDUMP_ACK_SIZE_VER0 16U
#define CW_COREDUMP_REQ_MAX 4096U     /* a larger request is not believed */
#define CW_COREDUMP_MARK_SIZE 4U

enum cw_coredump_mark {
	CW_COREDUMP_MARK_REQACK = 0,
	CW_COREDUMP_MARK_MINSIZE = 1,
	CW_COREDUMP_MARK_MAXSIZE = 2,
	CW_COREDUMP_MARK_UNSUPPORTED = 3,
	CW_COREDUMP_MARK_CONFLICTING = 4,
};

struct cw_coredump_req {
	uint32_t size;      /* the whole request, bytes */
	uint32_t size_ack;  /* the largest ack the kernel takes */
	uint64_t mask;      /* what it supports */
};

/* Whether the first bytes of a connection are a request (not the ELF
 * header a plain "@PATH" connection starts with): 1 yes, 0 no (a core),
 * -EAGAIN when fewer than 4 bytes are there. */
int cw_coredump_is_request(const void *buf, size_t len);

/* Parses a request from the len bytes received so far. Returns its size
 * (> 0, the bytes to consume) with *out filled, -EAGAIN when more bytes are
 * needed, -EBADMSG when it is malformed (size or size_ack out of range). */
int cw_coredump_req_parse(const void *buf, size_t len, struct cw_coredump_req *out);

/* The ack's mask for a request: COREDUMP_REJECT when reject and the kernel
 * offers it, else COREDUMP_KERNEL; -EOPNOTSUPP when it offers neither. */
int cw_coredump_choose(const struct cw_coredump_req *req, int reject, uint64_t *mask);

/* Builds the ack for mask (which must be a subset of req->mask with
 * exactly one of KERNEL, USERSPACE, REJECT) into out; returns its length
 * (CW_COREDUMP_ACK_SIZE_VER0) or -EINVAL. */
int cw_coredump_ack_build(const struct cw_coredump_req *req, uint64_t mask, uint8_t *out, size_t len);

/* Parses the kernel's mark (4 bytes): 0 for REQACK, -EPROTO for any other
 * (*mark says which), -EAGAIN when short. */
int cw_coredump_mark_parse(const void *buf, size_t len, uint32_t *mark);

/* A name for a mark, for messages. */
const char *cw_coredump_mark_name(uint32_t mark);

#endif
