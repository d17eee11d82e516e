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
. "$top_srcdir/tests/integration/container-lib.sh"
skip_all() { for i in $(seq 23); do skip "container test $i" "$1"; done; exit 0; }
trap 'ctr_cleanup; cleanup' EXIT
ctr_setup || skip_all "$CTR_SKIP"

cfield() { field ".container_info.$1"; }
collect() { clear_spool; collect_held "$@"; }

# 1. Kubernetes, systemd driver, cgroup v2; the root a host directory.
make_cgroup "$V2" "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID1//-/_}.slice/cri-containerd-$ID1.scope" ||
	skip_all "cannot create cgroups under $V2"
if run_container k1 "$CG" dir web-7d9c-x2x4q; then
	collect web-7d9c-x2x4q
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
	rm -rf "$STORE/executables" # no copy from the first container: this one is kept from the tmpfs
	collect api-0
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
		collect "$(hostname)"
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
	collect p1host
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
