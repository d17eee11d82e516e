/* The kernel's side of the @@ core socket protocol, for tests that must
 * not change kernel.core_pattern (tests/integration/daemon-core-request.sh):
 *   coredump-client crash [MIB]      touch MIB (64) pseudo-random, then segfault
 *   coredump-client hold             sleep (a live process of this executable)
 *   coredump-client kernel SOCK CORE connect, send a coredump_req, read the
 *                                    ack, answer with a mark and, when the
 *                                    ack says COREDUMP_KERNEL, write CORE
 *   coredump-client badreq SOCK      send a malformed request
 *   coredump-client silent SOCK [N]  send the first N (0) bytes of a request,
 *                                    then nothing: prints "closed PID" once
 *                                    the daemon closes (PID: this process)
 *   coredump-client stall SOCK CORE K  as "kernel", but stop after K KiB of
 *                                    CORE without ending it: "KERNEL closed"
 * "kernel" prints the ack's mask as KERNEL, REJECT, ... or "closed" when
 * the daemon closed without an ack. The connecting process is this
 * program, so the daemon's pidfd names a process of the core's executable. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct req { uint32_t size, size_ack; uint64_t mask; };
struct ack { uint32_t size, spare; uint64_t mask; };

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return fd;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "crash")) {
		/* MIB of pseudo-random (incompressible) touched memory, default 64 */
		size_t len = (argc >= 3 ? strtoul(argv[2], NULL, 10) : 64) << 20;
		volatile uint64_t *m = malloc(len);
		uint64_t x = 88172645463325252ULL;
		for (size_t i = 0; m && i < len / 8; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			m[i] = x;
		}
		/* the kernel's SIGSEGV and core even in a sanitizer build (its
		 * runtime handles SIGSEGV and sets RLIMIT_CORE to 0) */
		struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
		(void)setrlimit(RLIMIT_CORE, &rl);
		signal(SIGSEGV, SIG_DFL);
		raise(SIGSEGV);
		return (int)m[0];
	}
	if (argc >= 2 && !strcmp(argv[1], "hold")) {
		/* a live process of this executable, standing in for a held crash */
		sleep(600);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "badreq")) {
		int fd = connect_to(argv[2]);
		uint32_t huge[4] = { 1u << 20, 16, 0xf, 0 };
		if (fd < 0 || write_all(fd, huge, sizeof(huge)) < 0)
			return 2;
		char c;
		ssize_t n = read(fd, &c, 1);
		puts(n == 0 || (n < 0 && errno == ECONNRESET) ? "closed" : "answered");
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "silent")) {
		int fd = connect_to(argv[2]);
		struct { struct req r; uint64_t future; } rq = { { sizeof(rq), sizeof(struct ack), 0xf }, 0 };
		size_t k = argc >= 4 ? strtoul(argv[3], NULL, 10) : 0;
		alarm(30); /* a daemon that never closes fails the test instead of hanging it */
		if (fd < 0 || k > sizeof(rq) || write_all(fd, &rq, k) < 0)
			return 2;
		char c;
		ssize_t n = read(fd, &c, 1);
		printf("%s %d\n", n == 0 || (n < 0 && errno == ECONNRESET) ? "closed" : "answered", (int)getpid());
		return 0;
	}
	bool stall = argc >= 5 && !strcmp(argv[1], "stall");
	if (argc < 4 || (strcmp(argv[1], "kernel") && !stall)) {
		fprintf(stderr, "usage: coredump-client crash [MIB] | hold | kernel SOCKET CORE | badreq SOCKET"
				" | silent SOCKET [N] | stall SOCKET CORE KIB\n");
		return 2;
	}
	size_t limit = stall ? strtoul(argv[4], NULL, 10) << 10 : SIZE_MAX;
	int fd = connect_to(argv[2]);
	if (fd < 0) {
		perror(argv[2]);
		return 2;
	}
	/* a request as the kernel sends it: a larger struct than version 0,
	 * so the daemon must consume the bytes it does not know */
	struct { struct req r; uint64_t future; } rq = { { sizeof(rq), sizeof(struct ack), 0xf }, 0 };
	if (write_all(fd, &rq, sizeof(rq)) < 0)
		return 2;
	struct ack a;
	ssize_t n = recv(fd, &a, sizeof(a), MSG_WAITALL);
	if (n == 0) {
		puts("closed");
		return 0;
	}
	if (n != sizeof(a) || a.size != sizeof(a) || a.spare) {
		printf("bad-ack %zd\n", n);
		return 1;
	}
	uint32_t mark = 0; /* COREDUMP_MARK_REQACK */
	if (write_all(fd, &mark, sizeof(mark)) < 0)
		return 2;
	if (a.mask == 1) {
		int core = open(argv[3], O_RDONLY | O_CLOEXEC);
		char buf[1 << 16];
		if (core < 0)
			return 2;
		size_t sent = 0;
		while (sent < limit && (n = read(core, buf, sizeof(buf) < limit - sent ? sizeof(buf) : limit - sent)) > 0) {
			if (write_all(fd, buf, (size_t)n) < 0)
				return 2;
			sent += (size_t)n;
		}
		close(core);
		if (stall) {
			/* the core stops here; the connection stays open until the daemon gives up */
			char c;
			alarm(30);
			n = read(fd, &c, 1);
			puts(n == 0 || (n < 0 && errno == ECONNRESET) ? "KERNEL closed" : "KERNEL answered");
			return 0;
		}
		shutdown(fd, SHUT_WR);
		puts("KERNEL");
	} else if (a.mask == 4) {
		puts("REJECT");
	} else {
		printf("mask-%llx\n", (unsigned long long)a.mask);
	}
	/* the kernel waits for the server to be done before it lets go */
	char c;
	while (read(fd, &c, 1) > 0)
		;
	close(fd);
	return 0;
}
