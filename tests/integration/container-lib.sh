# Shared helpers for the container tests (sourced after collector-lib.sh
# or daemon-lib.sh, which give TMP, run_collector, skip): real containers
# made here with unshare and pivot_root, in cgroups named like the
# kubelet's, a Go program whose binary exists only inside the container.
#   ctr_setup                 builds the program and the container's init; sets V2, V1
#   make_cgroup DIR RELPATH   creates the cgroups (removed by ctr_cleanup); sets CG
#   run_container NAME CG dir|tmpfs HOSTNAME [CG2]   sets HELD, CORE
#   collect_held HOSTNAME     feeds CORE for HELD to the collector as the kernel would
#   ctr_cleanup               kills the containers' processes, removes the cgroups

CGROUPS=""
CTR_SKIP=""

ctr_cleanup() {
	local cg p
	for cg in $CGROUPS; do
		[ -f "$cg/cgroup.kill" ] && echo 1 > "$cg/cgroup.kill" 2>/dev/null
		for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	done
	sleep 0.2
	for cg in $(printf '%s\n' $CGROUPS | awk '{ print length, $0 }' | sort -rn | cut -d' ' -f2-); do
		rmdir "$cg" 2>/dev/null
	done
}

# ctr_setup: 0, or 1 with CTR_SKIP saying why the tests cannot run here.
ctr_setup() {
	V2=$(findmnt -n -t cgroup2 -o TARGET | head -n 1)
	V1=$(findmnt -n -t cgroup -o TARGET,OPTIONS | awk '$2 ~ /(^|,)pids(,|$)/ { print $1; exit }')
	[ "$(id -u)" = 0 ] || { CTR_SKIP="needs root"; return 1; }
	command -v unshare >/dev/null && command -v "${GO:-go}" >/dev/null || { CTR_SKIP="needs unshare and go"; return 1; }
	[ -n "$V2" ] || { CTR_SKIP="no cgroup v2 hierarchy"; return 1; }
	# the container's core is written by the kernel into its root
	[ "$(cat /proc/sys/kernel/core_pattern)" = core ] ||
		{ CTR_SKIP="kernel.core_pattern is not \"core\" (now: $(head -c 60 /proc/sys/kernel/core_pattern))"; return 1; }
# The Go program: "wait" sleeps (the held process), anything else crashes
# with a nil map write (GOTRACEBACK=crash: SIGABRT and a core).
mkdir -p "$TMP/src" "$TMP/ref"
cat > "$TMP/src/main.go" <<'GOEOF'
package main

import (
	"os"
	"time"
)

var sink map[string]int

func main() {
	if len(os.Args) > 1 && os.Args[1] == "wait" {
		for {
			time.Sleep(time.Hour)
		}
	}
	sink["crash"] = 1
}
GOEOF
printf 'module ctrapp\n\ngo 1.21\n' > "$TMP/src/go.mod"
if ! (cd "$TMP/src" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod "${GO:-go}" build -o "$TMP/ref/app" .) >"$TMP/gobuild.log" 2>&1; then
	CTR_SKIP="go build failed: $(head -c 200 "$TMP/gobuild.log")"; return 1
fi

# The container's init (static: it runs after the host's root is gone):
# pivot_root into the current directory, detach the old root, crash the
# program once (its core lands in the container's /), then become the
# waiting program.
cat > "$TMP/src/ctr-init.c" <<'CEOF'
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	char *crash[] = { "/app", "crash", NULL }, *wait_[] = { "/app", "wait", NULL };
	char *env[] = { "GOTRACEBACK=crash", NULL };
	mkdir("oldroot", 0700);
	if (syscall(SYS_pivot_root, ".", "oldroot") < 0 || chdir("/") < 0 || umount2("/oldroot", MNT_DETACH) < 0) {
		perror("ctr-init");
		return 1;
	}
	rmdir("/oldroot");
	setrlimit(RLIMIT_CORE, &rl);
	pid_t p = fork();
	if (p == 0) {
		execve("/app", crash, env);
		_exit(127);
	}
	waitpid(p, NULL, 0);
	execve("/app", wait_, env);
	return 127;
}
CEOF
cc -static -O1 -o "$TMP/ref/ctr-init" "$TMP/src/ctr-init.c" 2>"$TMP/cc.log" || { CTR_SKIP="cc -static failed: $(head -c 200 "$TMP/cc.log")"; return 1; }

}

# make_cgroup HIERARCHY RELPATH: creates it (and its parents), remembers them.
make_cgroup() {
	local d=$1 part
	local IFS=/
	for part in $2; do
		d="$d/$part"
		[ -d "$d" ] || { mkdir "$d" || return 1; CGROUPS="$CGROUPS $d"; }
	done
	CG=$d
}

# run_container NAME CGROUP_DIR ROOTKIND HOSTNAME|"" [V2_CGROUP_DIR]: starts a
# container whose root is ROOTKIND "dir" (a host directory, pivot_root'ed)
# or "tmpfs" (a tmpfs mounted only inside the container: the binary exists
# nowhere on the host). Inside: the program crashes once (its core lands in
# the container's /), then waits. Sets HELD (host pid of the waiting
# program) and CORE (a copy of the core, read through /proc/HELD/root).
run_container() {
	local name=$1 cg=$2 kind=$3 host=$4 cg2=${5:-}
	local root="$TMP/$name/root" uts=--uts
	mkdir -p "$root"
	[ -n "$host" ] || uts=""
	if [ "$kind" = dir ]; then cp "$TMP/ref/app" "$root/app"; else cp "$TMP/ref/app" "$TMP/$name/stage"; fi
	bash -c '
		echo $$ > "$1/cgroup.procs" || exit 1
		[ -z "$6" ] || echo $$ > "$6/cgroup.procs" || exit 1
		exec unshare --mount --pid --cgroup $4 --fork --propagation private bash -c "
			set -e
			[ -z \"\$3\" ] || hostname \"\$3\"
			if [ \"\$2\" = tmpfs ]; then
				mount -t tmpfs -o mode=0755 ctr \"\$1\"
				cp \"\$1/../stage\" \"\$1/app\" && rm \"\$1/../stage\"
			fi
			mount --bind \"\$1\" \"\$1\"
			cd \"\$1\"
			exec \"\$4\"
		" _ "$2" "$3" "$5" "$7"
	' _ "$cg" "$root" "$kind" "$uts" "$host" "$cg2" "$TMP/ref/ctr-init" >"$TMP/$name.log" 2>&1 &
	BG_PIDS="$BG_PIDS $!"
	HELD=""
	local i p
	for i in $(seq 200); do
		for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do
			[ "$( { tr '\0' ' ' < "/proc/$p/cmdline"; } 2>/dev/null)" = "/app wait " ] && HELD=$p
		done
		[ -n "$HELD" ] && break
		sleep 0.05
	done
	CORE=""
	[ -n "$HELD" ] || return 1
	local c
	c=$(ls "/proc/$HELD/root/" 2>/dev/null | grep -m1 '^core')
	[ -n "$c" ] || return 1
	cp "/proc/$HELD/root/$c" "$TMP/$name/core" && CORE="$TMP/$name/core"
}

# collect_held HOSTNAME: feeds CORE for HELD as the kernel would.
collect_held() {
	local nstid
	nstid=$(awk '/^NSpid:/ { print $NF }' "/proc/$HELD/status")
	run_collector "$HELD" "$nstid" 0 0 6 "$(date +%s)" 18446744073709551615 "$1" 1 "" app < "$CORE" 2>/dev/null
}
