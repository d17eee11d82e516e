#!/bin/bash
# crashwatch-collect on crashes inside real containers made here: a Go
# program whose binary exists only inside the container's root, run in its
# own mount, pid, uts and cgroup namespaces (unshare, pivot_root) inside
# cgroups named the way the kubelet names them (systemd and cgroupfs
# drivers; cgroup v2, and v1 where the host has it). The program's real
# core (kernel.core_pattern=core, unchanged) is fed to the real collector
# the way the kernel feeds it, while the same program waits in the same
# container as the held process. Cgroups and processes are removed
# whatever happens; every mount is inside the containers' namespaces.
set -u
. "$top_srcdir/tests/integration/collector-lib.sh"
echo "1..23"

UID1=0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d
UID2=11111111-2222-4333-8444-555555555555
UID3=99999999-8888-4777-a666-555555555555
ID1=$(printf 'c1%.0s' $(seq 32))
ID2=$(printf 'd2%.0s' $(seq 32))
ID3=$(printf 'e3%.0s' $(seq 32))
V2=$(findmnt -n -t cgroup2 -o TARGET | head -n 1)
V1=$(findmnt -n -t cgroup -o TARGET,OPTIONS | awk '$2 ~ /(^|,)pids(,|$)/ { print $1; exit }')
CGROUPS=""

skip_all() { for i in $(seq 23); do skip "container test $i" "$1"; done; exit 0; }
[ "$(id -u)" = 0 ] || skip_all "needs root"
command -v unshare >/dev/null && command -v go >/dev/null || skip_all "needs unshare and go"
[ -n "$V2" ] || skip_all "no cgroup v2 hierarchy"

container_cleanup() {
	local cg p
	for cg in $CGROUPS; do
		[ -f "$cg/cgroup.kill" ] && echo 1 > "$cg/cgroup.kill" 2>/dev/null
		for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	done
	sleep 0.2
	for cg in $(printf '%s\n' $CGROUPS | awk '{ print length, $0 }' | sort -rn | cut -d' ' -f2-); do
		rmdir "$cg" 2>/dev/null
	done
	cleanup
}
trap container_cleanup EXIT

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
if ! (cd "$TMP/src" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -o "$TMP/ref/app" .) >"$TMP/gobuild.log" 2>&1; then
	skip_all "go build failed: $(head -c 200 "$TMP/gobuild.log")"
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
cc -static -O1 -o "$TMP/ref/ctr-init" "$TMP/src/ctr-init.c" 2>"$TMP/cc.log" || skip_all "cc -static failed: $(head -c 200 "$TMP/cc.log")"

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
			[ "$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null)" = "/app wait " ] && HELD=$p
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
	clear_spool
	run_collector "$HELD" "$nstid" 0 0 6 "$(date +%s)" 18446744073709551615 "$1" 1 "" app < "$CORE" 2>/dev/null
}
cfield() { field ".container_info.$1"; }

# 1. Kubernetes, systemd driver, cgroup v2; the root a host directory.
make_cgroup "$V2" "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID1//-/_}.slice/cri-containerd-$ID1.scope" ||
	skip_all "cannot create cgroups under $V2"
if run_container k1 "$CG" dir web-7d9c-x2x4q; then
	collect_held web-7d9c-x2x4q
	check "systemd driver: recorded with its core" test -n "$(core_of)" -a "$(field .core.stored)" = true
	check "systemd driver: runtime containerd, the container id" test "$(cfield runtime)/$(cfield id)" = "containerd/$ID1"
	check "systemd driver: pod uid and QoS class" test "$(cfield pod_uid)/$(cfield qos_class)" = "$UID1/Burstable"
	check "systemd driver: pod name from the container's hostname" \
		test "$(cfield pod_name)/$(cfield pod_name_source)" = "web-7d9c-x2x4q/hostname"
	check "systemd driver: namespace unknown, and the record says why" \
		test "$(cfield pod_namespace)" = null -a -n "$(cfield unknown | grep 'pod namespace')"
	check "systemd driver: exe inside the container and on the host" \
		test "$(cfield exe_in_container)|$(cfield exe_on_host)" = "/app|$TMP/k1/root/app"
	check "systemd driver: pid, mount, uts and cgroup namespaces all differ from the host's" \
		test "$(field .namespaces.uts)" != "$(readlink /proc/self/ns/uts)" \
		     -a "$(field .namespaces.cgroup)" != "$(readlink /proc/self/ns/cgroup)" \
		     -a "$(field .namespaces.pid)" != "$(readlink /proc/self/ns/pid)" \
		     -a "$(field .namespaces.mnt)" != "$(readlink /proc/self/ns/mnt)"
	copy="$STORE/$(field .executable_copy)"
	check "systemd driver: the executable kept by build id is the container's" cmp -s "$copy" "$TMP/ref/app"
	zstd -q -d -c "$(core_of)" > "$TMP/k1/core.out"
	"$CLI" analyze --json "$copy" "$TMP/k1/core.out" > "$TMP/k1/analysis.json" 2>/dev/null
	check "systemd driver: the stored core and kept executable analyse as Go" \
		test "$(jq -r '.go.version // empty' "$TMP/k1/analysis.json" | cut -c1-4)" = go1.
else
	for i in 1 2 3 4 5 6 7 8 9; do not_ok "systemd driver container $i" "the container did not start or left no core"; done
fi
kill -9 $HELD 2>/dev/null

# 2. Kubernetes, cgroupfs driver, cgroup v2; the binary only in a tmpfs
# inside the container (not reachable from the host).
make_cgroup "$V2" "kubepods/besteffort/pod$UID2/$ID2"
if run_container k2 "$CG" tmpfs api-0; then
	collect_held api-0
	check "cgroupfs driver: recorded with its core" test -n "$(core_of)"
	check "cgroupfs driver: id, pod uid, BestEffort" \
		test "$(cfield id)/$(cfield pod_uid)/$(cfield qos_class)" = "$ID2/$UID2/BestEffort"
	check "cgroupfs driver: runtime unknown (not guessed), and said so" \
		test "$(cfield runtime)" = null -a -n "$(cfield unknown | grep 'runtime')"
	check "tmpfs root: exe_in_container /app, no host path (none exists)" \
		test "$(cfield exe_in_container)|$(cfield exe_on_host)" = "/app|null"
	check "tmpfs root: the staged copy is gone from the host" test ! -e "$TMP/k2/stage" -a ! -e "$TMP/k2/root/app"
	copy="$STORE/$(field .executable_copy)"
	check "tmpfs root: the executable kept through /proc/PID/exe is the container's" cmp -s "$copy" "$TMP/ref/app"
else
	for i in 1 2 3 4 5 6; do not_ok "cgroupfs driver container $i" "the container did not start or left no core"; done
fi
kill -9 $HELD 2>/dev/null

# 3. cgroup v1 (cgroupfs driver, CRI-O, Guaranteed), the node's uts
# namespace shared (hostNetwork): the pod name is not the hostname.
if [ -n "$V1" ] && [ "$V2" != /sys/fs/cgroup ]; then
	make_cgroup "$V1" "kubepods/pod$UID3/crio-$ID3"
	cg1=$CG
	if run_container k3 "$cg1" dir ""; then
		collect_held "$(hostname)"
		check "cgroup v1: recorded" test -n "$(meta_of)"
		check "cgroup v1: runtime cri-o, id, Guaranteed" \
			test "$(cfield runtime)/$(cfield id)/$(cfield qos_class)/$(cfield pod_uid)" = "cri-o/$ID3/Guaranteed/$UID3"
		check "cgroup v1, node's uts namespace: no pod name, and the record says why" \
			test "$(cfield pod_name)" = null -a -n "$(cfield unknown | grep hostNetwork)"
	else
		for i in 1 2 3; do not_ok "cgroup v1 container $i" "the container did not start or left no core"; done
	fi
	kill -9 $HELD 2>/dev/null
else
	for i in 1 2 3; do skip "cgroup v1 container $i" "no cgroup v1 pids hierarchy"; done
fi

# 4. Not Kubernetes: a podman-shaped scope, no runtime state on this host.
make_cgroup "$V2" "machine.slice/libpod-$ID1.scope"
if run_container p1 "$CG" dir p1host; then
	collect_held p1host
	check "podman scope: runtime podman, id, not Kubernetes" \
		test "$(cfield runtime)/$(cfield id)/$(cfield kubernetes)/$(cfield pod_uid)" = "podman/$ID1/false/null"
	check "podman scope: no pod name guessed from the hostname" test "$(cfield pod_name)" = null
else
	for i in 1 2; do not_ok "podman container $i" "the container did not start or left no core"; done
fi
kill -9 $HELD 2>/dev/null

# 5. A process on the host: no container_info at all.
start_sleeper
clear_spool
cat "$TMP/k1/core" 2>/dev/null | run_collector "$SLEEPER" "$SLEEPER" 0 0 6 "$(date +%s)" 0 h 1 "" sleep 2>/dev/null
check "host process: container_info null" test "$(field .container_info)" = null
check "host process: still recorded" test -n "$(meta_of)"
# 6. The cgroups are removed at exit (checked by the trap's own rmdir);
# here: none of the containers' mounts leaked into the host's table.
check "no container mount in the host's mount table" test -z "$(grep " $TMP/" /proc/self/mounts)"
exit $failed
