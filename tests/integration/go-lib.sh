# go-lib.sh: sourced by the tests of the Go corpus (gen-cores.sh and the
# tests that read its cores) after they set $here to their own directory:
# the source and build trees, and which releases of the matrix a run keeps.

top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
top_builddir=$(cd "$top_builddir" && pwd)
export top_srcdir top_builddir

# cw_release_wanted REL: true when $CW_GO_VERSIONS is empty or one of its
# words is REL or a prefix of it at a dot ("1.22" keeps 1.22.0 and 1.22.12).
cw_release_wanted() {
	[ -n "${CW_GO_VERSIONS:-}" ] || return 0
	local want
	for want in $CW_GO_VERSIONS; do
		case "$1" in "$want"|"$want".*) return 0;; esac
	done
	return 1
}

# cw_go_offline: the environment of every Go build of the tests: the
# toolchain named, never another one fetched, modules only from go.sum
# and the module cache.
cw_go_offline() {
	export GOTOOLCHAIN=local GOFLAGS= GOPROXY=off GO111MODULE=on GOWORK=off
	unset GOROOT
}

# cw_src_hash DIR: a short hash of a Go test program's go.mod and sources,
# the key of its cached builds.
cw_src_hash() {
	cat "$1"/go.mod "$1"/*.go | sha256sum | cut -c1-16
}
