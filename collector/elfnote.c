/* Bounded walking of ELF note data. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "collector/elfnote.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static size_t align4(size_t v) { return (v + 3) & ~(size_t)3; }

int cw_note_next(const uint8_t *buf, size_t len, size_t *off, struct cw_note *n)
{
	size_t o = *off, name_at, desc_at, end;

	if (o >= len || len - o < 12)
		return 0;
	n->namesz = le32(buf + o);
	n->descsz = le32(buf + o + 4);
	n->type = le32(buf + o + 8);
	name_at = o + 12;
	if (n->namesz > len - name_at)
		return -EBADMSG;
	desc_at = align4(name_at + n->namesz);
	if (desc_at > len || n->descsz > len - desc_at)
		return -EBADMSG;
	end = align4(desc_at + n->descsz);
	n->name = (const char *)buf + name_at;
	n->desc = buf + desc_at;
	*off = end > len ? len : end;
	return 1;
}

int cw_note_name_is(const struct cw_note *n, const char *name)
{
	size_t l = strlen(name);

	if (n->namesz == l + 1)
		return !memcmp(n->name, name, l) && n->name[l] == 0;
	return n->namesz == l && !memcmp(n->name, name, l);
}
