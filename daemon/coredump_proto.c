/* The kernel's core socket request protocol (see coredump_proto.h). The
 * structures are the kernel's, in the host's byte order. */
#include "config.h"
#include "daemon/coredump_proto.h"

#include <errno.h>
#include <string.h>

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

int cw_coredump_is_request(const void *buf, size_t len)
{
	if (len < 4)
		return -EAGAIN;
	return memcmp(buf, "\177ELF", 4) != 0;
}

int cw_coredump_req_parse(const void *buf, size_t len, struct cw_coredump_req *out)
{
	const uint8_t *p = buf;
	if (len < sizeof(uint32_t))
		return -EAGAIN;
	uint32_t size = get32(p);
	if (size < CW_COREDUMP_REQ_SIZE_VER0 || size > CW_COREDUMP_REQ_MAX)
		return -EBADMSG;
	if (len < size)
		return -EAGAIN;
	/* the fields of version 0; a newer kernel's extra bytes are consumed unread */
	out->size = size;
	out->size_ack = get32(p + 4);
	out->mask = get64(p + 8);
	if (out->size_ack < CW_COREDUMP_ACK_SIZE_VER0 || out->size_ack > CW_COREDUMP_REQ_MAX)
		return -EBADMSG;
	return (int)size;
}

int cw_coredump_choose(const struct cw_coredump_req *req, int reject, uint64_t *mask)
{
	if (reject && (req->mask & CW_COREDUMP_REJECT))
		*mask = CW_COREDUMP_REJECT;
	else if (req->mask & CW_COREDUMP_KERNEL)
		*mask = CW_COREDUMP_KERNEL;
	else
		return -EOPNOTSUPP;
	return 0;
}

int cw_coredump_ack_build(const struct cw_coredump_req *req, uint64_t mask, uint8_t *out, size_t len)
{
	const uint64_t modes = CW_COREDUMP_KERNEL | CW_COREDUMP_USERSPACE | CW_COREDUMP_REJECT;
	uint64_t m = mask & modes;
	uint32_t size = CW_COREDUMP_ACK_SIZE_VER0, spare = 0;
	if (len < size || req->size_ack < size || (mask & ~req->mask) || m == 0 || (m & (m - 1)))
		return -EINVAL;
	memcpy(out, &size, sizeof(size));
	memcpy(out + 4, &spare, sizeof(spare));
	memcpy(out + 8, &mask, sizeof(mask));
	return (int)size;
}

int cw_coredump_mark_parse(const void *buf, size_t len, uint32_t *mark)
{
	if (len < CW_COREDUMP_MARK_SIZE)
		return -EAGAIN;
	*mark = get32(buf);
	return *mark == CW_COREDUMP_MARK_REQACK ? 0 : -EPROTO;
}

const char *cw_coredump_mark_name(uint32_t mark)
{
	static const char *const names[] = {
		[CW_COREDUMP_MARK_REQACK] = "request acknowledged",
		[CW_COREDUMP_MARK_MINSIZE] = "ack too small",
		[CW_COREDUMP_MARK_MAXSIZE] = "ack too large",
		[CW_COREDUMP_MARK_UNSUPPORTED] = "unsupported ack mask",
		[CW_COREDUMP_MARK_CONFLICTING] = "conflicting ack mask",
	};
	return mark < sizeof(names) / sizeof(names[0]) ? names[mark] : "unknown mark";
}
