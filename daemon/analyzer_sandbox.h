/* The sandbox crashwatch-analyze enters before it reads a byte of the
 * core: no capabilities, PR_SET_NO_NEW_PRIVS, and a seccomp allow-list of
 * the system calls an analysis makes (docs/security.md lists them and
 * says why). A call outside the list is trapped: the SIGSYS handler
 * writes "E<reason naming the system call>" to the result pipe and the
 * process exits with CW_SANDBOX_EXIT_SYSCALL, so the daemon records a
 * failed analysis that says what happened. Opening a file for writing
 * fails with EACCES (the zstd reader then falls back to a memfd). */
#ifndef CW_DAEMON_ANALYZER_SANDBOX_H
#define CW_DAEMON_ANALYZER_SANDBOX_H

#include <stdbool.h>

#define CW_SANDBOX_EXIT_SYSCALL 159

/* Sanitizer builds need more: ASan/UBSan's reporting and LeakSanitizer's
 * exit-time leak check (it stops the process's threads with clone and
 * ptrace, and reads /proc/self). Those builds allow the extra calls listed
 * in analyzer_sandbox.c; production builds never do. */
#if defined(__SANITIZE_ADDRESS__)
#define CW_SANDBOX_SANITIZER_EXTRAS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CW_SANDBOX_SANITIZER_EXTRAS 1
#endif
#endif
#ifndef CW_SANDBOX_SANITIZER_EXTRAS
#define CW_SANDBOX_SANITIZER_EXTRAS 0
#endif

/* Drops every capability (effective, permitted, inheritable, ambient, and
 * the bounding set where CAP_SETPCAP allows) and sets NO_NEW_PRIVS. */
int cw_sandbox_drop_capabilities(void);

/* Installs the SIGSYS reporter (writing to report_fd) and the seccomp
 * filter. After it returns 0 the process cannot open a file for writing,
 * create a socket, connect, exec, fork or trace. *step names what failed. */
int cw_sandbox_install_seccomp(int report_fd, const char **step);

/* Both, capabilities first. */
int cw_sandbox_enter(int report_fd, const char **step);

#endif
