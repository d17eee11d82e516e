/* See filekind.h. Reads at most the first 512 bytes; every decision is
 * made on what was actually read. */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/filekind.h"

#define HEAD_MAX 512

static const char *type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR: return "is a directory";
	case S_IFCHR: return "is a character device";
	case S_IFBLK: return "is a block device";
	case S_IFIFO: return "is a named pipe (FIFO)";
	case S_IFSOCK: return "is a socket";
	case S_IFLNK: return "is a symbolic link";
	default: return NULL;
	}
}

/* Printable ASCII, tabs and line ends, or valid-looking UTF-8 lead and
 * continuation bytes: text as far as the first bytes tell. */
static bool looks_like_text(const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = b[i];
		if (c == '\t' || c == '\n' || c == '\r' || c == '\f' || (c >= 0x20 && c < 0x7f) || c >= 0x80)
			continue;
		return false;
	}
	return true;
}

static const char *describe_elf(const unsigned char *b, size_t n, char *buf, size_t len)
{
	if (n < EI_NIDENT || b[EI_CLASS] != ELFCLASS64)
		return n >= EI_NIDENT && b[EI_CLASS] == ELFCLASS32 ? "is a 32-bit ELF file (only 64-bit is supported)"
								   : "is an ELF file of an unknown class, or corrupt";
	if (b[EI_DATA] != ELFDATA2LSB)
		return "is a big-endian ELF file (only little-endian is supported)";
	if (n < sizeof(Elf64_Ehdr))
		return "is an ELF file cut short (no complete header)";
	Elf64_Ehdr eh;
	memcpy(&eh, b, sizeof(eh));
	switch (eh.e_type) {
	case ET_CORE: return "is an ELF core file, not an executable";
	case ET_REL: return "is an ELF object file (.o), not a linked executable";
	case ET_EXEC:
	case ET_DYN: return "is an ELF file, but corrupt";
	default:
		snprintf(buf, len, "is an ELF file of unknown type %u", (unsigned)eh.e_type);
		return buf;
	}
}

const char *cw_file_kind(const char *path, char *buf, size_t len)
{
	_cleanup_close_ int fd = -1;
	unsigned char head[HEAD_MAX];
	struct stat st;
	ssize_t n;

	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && stat(path, &st) < 0) {
		snprintf(buf, len, "is a dangling symbolic link");
		return buf;
	}
	if (stat(path, &st) < 0) {
		snprintf(buf, len, "%s", strerror(errno));
		return buf;
	}
	const char *t = type_name(st.st_mode);
	if (t) {
		snprintf(buf, len, "%s", t);
		return buf;
	}
	if (st.st_size == 0) {
		snprintf(buf, len, "is empty");
		return buf;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || (n = pread(fd, head, sizeof(head), 0)) < 0) {
		snprintf(buf, len, "cannot be read: %s", strerror(errno));
		return buf;
	}
	size_t got = (size_t)n;
	if (got >= SELFMAG && !memcmp(head, ELFMAG, SELFMAG)) {
		const char *d = describe_elf(head, got, buf, len);
		if (d != buf)
			snprintf(buf, len, "%s", d);
		return buf;
	}
	if (got >= 2 && head[0] == '#' && head[1] == '!') {
		size_t end = 2;
		while (end < got && end < 2 + 80 && head[end] != '\n' && head[end] >= 0x20 && head[end] < 0x7f)
			end++;
		snprintf(buf, len, "is a script (%.*s), not an ELF file", (int)end, (const char *)head);
		return buf;
	}
	if (got >= 4 && !memcmp(head, "\x28\xb5\x2f\xfd", 4))
		snprintf(buf, len, "is zstd-compressed data (decompress it first)");
	else if (got >= 2 && head[0] == 0x1f && head[1] == 0x8b)
		snprintf(buf, len, "is gzip-compressed data (decompress it first)");
	else if (got >= 3 && !memcmp(head, "BZh", 3))
		snprintf(buf, len, "is bzip2-compressed data (decompress it first)");
	else if (got >= 6 && !memcmp(head, "\xfd" "7zXZ\0", 6))
		snprintf(buf, len, "is xz-compressed data (decompress it first)");
	else if (looks_like_text(head, got))
		snprintf(buf, len, "is a text file, not an ELF file");
	else
		snprintf(buf, len, "is not an ELF file (it starts with %02x %02x %02x %02x)", head[0],
			 got > 1 ? head[1] : 0, got > 2 ? head[2] : 0, got > 3 ? head[3] : 0);
	return buf;
}
