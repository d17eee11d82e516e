#!/bin/bash
# make bench: crashwatch-collect ingesting a >= 1.5 GiB synthetic core with
# a Go-heap-like mix of pages, side by side with `zstd -1 -T1` and `cat` on
# the same input (each reading it from a pipe, as the kernel delivers it).
# Reports throughput, how long the crashing process would be held (time
# until stdin is drained and the consumer has exited), peak RSS
# (/usr/bin/time -v), and checks the stored core round-trips byte for byte.
# CW_BENCH_MIB overrides the core size (MiB), CW_BENCH_DIR the scratch dir.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$PWD}
COLLECT="$top_builddir/crashwatch-collect"
MIB=${CW_BENCH_MIB:-1600}
WORK=$(mktemp -d "${CW_BENCH_DIR:-/tmp}/cw-collect-bench.XXXXXX")
trap 'kill $SLEEPER 2>/dev/null; rm -rf "$WORK"' EXIT
[ -x "$COLLECT" ] || { echo "collect-bench: build crashwatch-collect first" >&2; exit 1; }
command -v zstd >/dev/null || { echo "collect-bench: zstd CLI missing" >&2; exit 1; }

# The core: 4 KiB pages, deterministic. Go heaps have many zeroed spans,
# pointer-rich objects (0xc000...), strings/text, and incompressible data.
cat > "$WORK/gen.c" <<'CEOF'
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv)
{
	unsigned long pages = strtoul(argv[1], 0, 10) * 256;
	static const char text[] = "goroutine 17 [chan receive]:\nmain.(*Server).handle(0xc000123450, {0x6a1f20, 0xc0001b2000})\n\t/src/server.go:142 +0x1d5\ncreated by net/http.(*Server).Serve in goroutine 1\n";
	uint64_t x = 88172645463325252ULL, page[512];
	for (unsigned long p = 0; p < pages; p++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		unsigned kind = (unsigned)(x % 100);
		if (kind < 40) {                        /* zero pages */
			memset(page, 0, sizeof(page));
		} else if (kind < 65) {                 /* pointer-rich objects */
			for (int i = 0; i < 512; i++) {
				x ^= x << 13; x ^= x >> 7; x ^= x << 17;
				page[i] = (x & 3) ? 0xc000000000ULL + ((x >> 8) & 0xfffff8) : (x & 0xff);
			}
		} else if (kind < 85) {                 /* strings / text */
			size_t off = (size_t)(x % (sizeof(text) - 1));
			char *c = (char *)page;
			for (size_t i = 0; i < sizeof(page); i++)
				c[i] = text[(off + i * 7 / 5) % (sizeof(text) - 1)];
		} else {                                /* compressed / random data */
			for (int i = 0; i < 512; i++) {
				x ^= x << 13; x ^= x >> 7; x ^= x << 17;
				page[i] = x * 2685821657736338717ULL;
			}
		}
		if (fwrite(page, sizeof(page), 1, stdout) != 1)
			return 1;
	}
	return 0;
}
CEOF
cc -O2 -o "$WORK/gen" "$WORK/gen.c"
"$WORK/gen" "$MIB" > "$WORK/core"
SIZE=$(stat -c %s "$WORK/core")
cat "$WORK/core" > /dev/null   # warm the page cache: measure the consumers, not the disk

printf '[Storage]\nDirectory=%s\n[Collect]\nMaxUse=100G\nKeepFree=0\nProcessSizeMax=100G\nExternalSizeMax=100G\n' \
	"$WORK/store" > "$WORK/crashwatch.conf"
sleep 600 & SLEEPER=$!

# run NAME CMD...: cat FILE | CMD once, timed; keeps the fastest wall time
# of NAME (with its CPU time and peak RSS) in $WORK/NAME.best. Dirty pages
# of the previous run are synced first (untimed) so that no consumer pays
# for another's write-back.
run() {
	local name=$1; shift
	local t0 t1 wall cpu rss best
	rm -rf "$WORK/store/spool" "$WORK/store/collect-state" "$WORK/zstd.out"
	sync
	t0=$(date +%s.%N)
	cat "$WORK/core" | /usr/bin/time -v -o "$WORK/$name.time" "$@"
	t1=$(date +%s.%N)
	wall=$(echo "$t1 - $t0" | bc -l)
	cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$WORK/$name.time")
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/$name.time")
	best=$(cut -d' ' -f1 "$WORK/$name.best" 2>/dev/null || true)
	if [ -z "$best" ] || [ "$(echo "$wall < $best" | bc -l)" = 1 ]; then
		echo "$wall $cpu $rss" > "$WORK/$name.best"
	fi
}

echo "# collect-bench: $((SIZE >> 20)) MiB synthetic Go-like core (40% zero, 25% pointers, 20% text, 15% random pages)"
# The machine may be shared: the consumers take turns, CW_BENCH_RUNS rounds
# (default 3), and each one's fastest round is reported.
for round in $(seq "${CW_BENCH_RUNS:-3}"); do
	run cat sh -c 'cat > /dev/null'
	run zstd sh -c "zstd -q -1 -T1 -c > '$WORK/zstd.out'"
	zstd_size=$(stat -c %s "$WORK/zstd.out")
	CRASHWATCH_CONFIG="$WORK/crashwatch.conf" run collect \
		"$COLLECT" "$SLEEPER" "$SLEEPER" 0 0 11 "$(date +%s)" 0 bench 1 "" bench 2>/dev/null
done
read -r t_cat cpu_cat rss_cat < "$WORK/cat.best"
read -r t_zstd cpu_zstd rss_zstd < "$WORK/zstd.best"
read -r t_cw cpu_cw rss_cw < "$WORK/collect.best"
# /usr/bin/time measured `sh`, not cat/zstd: its peak RSS is the child's (max over the tree's waited children).
zst=$(ls "$WORK"/store/spool/*.core.zst)
if zstd -dc "$zst" | cmp -s - "$WORK/core"; then exact=yes; else exact=NO; fi
mbps() { echo "scale=1; $SIZE / 1048576 / $1" | bc -l; }
printf '%-20s %8s %9s %10s %8s %12s %9s\n' consumer "wall s" "MiB/s" "held s" "CPU s" "peak RSS" "output"
printf '%-20s %8.2f %9s %10.2f %8s %8s KiB %9s\n' "cat > /dev/null" "$t_cat" "$(mbps "$t_cat")" "$t_cat" "$cpu_cat" "$rss_cat" -
printf '%-20s %8.2f %9s %10.2f %8s %8s KiB %5s MiB\n' "zstd -1 -T1" "$t_zstd" "$(mbps "$t_zstd")" "$t_zstd" "$cpu_zstd" "$rss_zstd" "$((zstd_size >> 20))"
printf '%-20s %8.2f %9s %10.2f %8s %8s KiB %5s MiB\n' "crashwatch-collect" "$t_cw" "$(mbps "$t_cw")" "$t_cw" "$cpu_cw" "$rss_cw" "$(( $(stat -c %s "$zst") >> 20 ))"
echo "# load average during the bench: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (wall times are best of ${CW_BENCH_RUNS:-3} rounds)"
echo "# CPU time, collector vs zstd -1 -T1: $cpu_cw s vs $cpu_zstd s"
echo "# byte-exact round trip (zstd -d of the stored core): $exact"
# Zero pages must cost nothing: 1 GiB of zeros through the collector.
rm -rf "$WORK/store/spool"
sync
/usr/bin/time -f '%e %U %S' -o "$WORK/zero.time" sh -c "head -c 1G /dev/zero | CRASHWATCH_CONFIG='$WORK/crashwatch.conf' '$COLLECT' $SLEEPER $SLEEPER 0 0 11 $(date +%s) 0 bench 1 '' zeros 2>/dev/null"
read -r z_wall z_user z_sys < "$WORK/zero.time"
echo "# 1 GiB of zero pages: ${z_wall}s wall, ${z_user}s user CPU, stored as $(stat -c %s "$WORK"/store/spool/*.core.zst) bytes"
status=0
[ "$exact" = yes ] || status=1
if [ "$(echo "$t_cw <= $t_zstd * 1.05" | bc -l)" = 1 ]; then echo "# target: at least as fast as zstd -1 -T1: met"; else echo "# target: at least as fast as zstd -1 -T1: MISSED"; status=1; fi
if [ "$rss_cw" -lt 65536 ]; then echo "# target: peak RSS under 64 MiB: met"; else echo "# target: peak RSS under 64 MiB: MISSED"; status=1; fi
exit $status
