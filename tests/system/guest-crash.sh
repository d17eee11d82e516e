#!/bin/bash
# Runs inside the booted container (tests/system/nspawn.sh copies it in):
#   guest-crash.sh USER MODE [COUNT]
# crashes the Go crasher (/cwtest/crasher MODE) as USER in their home with
# GOTRACEBACK=crash, leaving ./core (kernel.core_pattern is "core"), then
# feeds that core to crashwatch-collect COUNT times as the kernel would: the
# argv of the installed core_pattern line (`crashwatch install --dry-run`:
# split on spaces, then each %-specifier expanded), the core on stdin, run
# as root. Copies after the first stand for other processes of the same
# program (pids that do not exist, so /proc cannot answer for them).
# Prints the crashed pid.
set -euo pipefail
user=$1 mode=$2 count=${3:-1}
home=$(getent passwd "$user" | cut -d: -f6)
uid=$(id -u "$user") gid=$(id -g "$user")
rm -f "$home"/core "$home"/core.*
st=0
pid=$(runuser -u "$user" -- sh -c 'cd "$1" && ulimit -c unlimited && echo $$ &&
	GOTRACEBACK=crash exec /cwtest/crasher "$2" >/dev/null 2>&1' sh "$home" "$mode") || st=$?
[ "$st" -gt 128 ] || { echo "guest-crash: $mode as $user: exit status $st, not a signal" >&2; exit 1; }
core=
for c in "$home"/core "$home"/core.*; do [ -f "$c" ] && { core=$c; break; }; done
[ -n "$core" ] || { echo "guest-crash: $mode as $user left no core in $home" >&2; exit 1; }
pattern=$(crashwatch install --dry-run)
read -r -a toks <<< "${pattern#|}"
for i in $(seq 0 $((count - 1))); do
	p=$pid
	[ "$i" -eq 0 ] || p=$((3000000 + RANDOM * 32 + i))
	declare -A val=([P]=$p [i]=$p [u]=$uid [g]=$gid [s]=$((st - 128)) [t]=$(date +%s)
		[c]=18446744073709551615 [h]=$(hostname) [d]=1 [F]= [e]=crasher)
	argv=()
	for tok in "${toks[@]}"; do
		out=$tok
		for k in "${!val[@]}"; do out=${out//%$k/${val[$k]}}; done
		argv+=("$out")
	done
	"${argv[@]}" < "$core"
done
rm -f "$core"
echo "$pid"
