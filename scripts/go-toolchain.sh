#!/bin/sh
# go-toolchain.sh VERSION: prints the path of a `go` binary of that release,
# fetching it through the Go module proxy when needed (GOTOOLCHAIN with a
# go >= 1.21 on PATH, else the golang.org/toolchain zip by hand).
# VERSION is a full release (1.22.12) or "1.19" for Debian's golang-1.19-go.
#   scripts/go-toolchain.sh --list     prints the test matrix (every release)
#   scripts/go-toolchain.sh --minors   the newest release of each minor (for
#     tests whose subject changes only with the minor: pclntab, core readers)
#   scripts/go-toolchain.sh --variants REL  the crasher variants of REL
#   scripts/go-toolchain.sh --layouts  prints the runtime layouts, one
#     SINCE=PROBE a word: the layout table that holds from release SINCE
#     on (until the next entry of that minor) is generated from the DWARF
#     of a probe built by release PROBE (docs/go-releases.md)
set -eu
# The matrix: per minor its first release, its newest, and each patch
# release where something the analyzer depends on changed (with the last
# release before it); REL:v1,v2 builds only those variants. The newest of
# each minor gets every variant; the others plain, stripped and pie
# (DWARF, the generated tables, PIE relocation): docs/go-releases.md.
# 1.19.0 is not on the module proxy: 1.19.2 is its first release there.
few=plain,stripped,pie
MATRIX="1.18.0:$few 1.18.10 1.19.2:$few 1.19 1.19.13:$few 1.20.0:$few 1.20.14
1.21.0:$few 1.21.13 1.22.0:$few 1.22.12 1.23.0:$few 1.23.11:$few 1.23.12
1.24.0:$few 1.24.5:$few 1.24.6:$few 1.24.13 1.25.0:$few 1.25.14 1.26.0:$few 1.26.11 1.27.0:$few 1.27.4"
NEWEST="1.18.10 1.19 1.20.14 1.21.13 1.22.12 1.23.12 1.24.13 1.25.14 1.26.11 1.27.4"
# 1.23.12 and 1.24.6 added m.allpSnapshot, moving every m field after
# m.traceback (m.alllink, m.lockedg, m.ncgo, m.libcall*, m.vdso*).
LAYOUTS="1.18.0=1.18.10 1.19.0=1.19 1.20.0=1.20.14 1.21.0=1.21.13 1.22.0=1.22.12 1.23.0=1.23.11 1.23.12=1.23.12 1.24.0=1.24.5 1.24.6=1.24.13 1.25.0=1.25.14 1.26.0=1.26.11 1.27.0=1.27.4"
case "${1:-}" in
--list) for e in $MATRIX; do printf '%s ' "${e%%:*}"; done | sed 's/ $//'; echo; exit 0;;
--minors) echo "$NEWEST"; exit 0;;
--layouts) echo "$LAYOUTS"; exit 0;;
--variants)
	for e in $MATRIX; do
		[ "${e%%:*}" = "${2:?usage: go-toolchain.sh --variants RELEASE}" ] || continue
		case "$e" in *:*) echo "${e#*:}" | tr , ' ';; *) echo "plain stripped pie trimpath cgo";; esac
		exit 0
	done
	echo "go-toolchain.sh: $2 is not in the matrix" >&2; exit 1;;
esac
v=${1:?usage: go-toolchain.sh VERSION | --list}
cache=${CRASHWATCH_GO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/crashwatch-go}

if [ "$v" = "1.19" ] && [ -x /usr/lib/go-1.19/bin/go ]; then
	echo /usr/lib/go-1.19/bin/go; exit 0
fi
# The newest minor: the installed go if it is that minor.
if command -v go >/dev/null 2>&1; then
	have=$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null || true)
	case "$have" in go"$v"|go"$v".*) command -v go; exit 0;; esac
fi
case "$v" in *.*.*) full=$v;; 1.19) full=1.19.13;; *) full=$v.0;; esac
# Before 1.21 a minor's first release is named without ".0" (go1.20).
case "$full" in 1.1[0-9].0|1.20.0) full=${full%.0};; esac
if [ -x "$cache/go$full/bin/go" ]; then echo "$cache/go$full/bin/go"; exit 0; fi
if command -v go >/dev/null 2>&1; then
	case "$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null)" in
	go1.1[0-9]*|go1.20*) ;;
	*) root=$(GOTOOLCHAIN=go$full go env GOROOT 2>/dev/null) && [ -x "$root/bin/go" ] && { echo "$root/bin/go"; exit 0; } ;;
	esac
fi
proxy=${GOPROXY:-https://proxy.golang.org}
proxy=${proxy%%,*}
mkdir -p "$cache"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -fsSL -o "$tmp/go.zip" "$proxy/golang.org/toolchain/@v/v0.0.1-go$full.linux-amd64.zip" >&2
(cd "$tmp" && python3 -c 'import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' go.zip x)
d=$(ls -d "$tmp"/x/golang.org/toolchain@*)
chmod -R u+w "$d"; chmod +x "$d"/bin/* "$d"/pkg/tool/*/* 2>/dev/null || true
rm -rf "$cache/go$full"; mv "$d" "$cache/go$full"
echo "$cache/go$full/bin/go"
