#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tests/fuzz/run.sh [BUILDDIR]: builds tests/fuzz/fuzz_request (the request
# parser, seeded from tests/fuzz/corpus) and tests/fuzz/fuzz_user (the image's
# passwd and group files, from tests/fuzz/corpus-user) in BUILDDIR (default:
# the current directory) with clang's libFuzzer, AddressSanitizer and UBSan,
# straight from the sources (not from the libraries the main build made with
# its own flags), and fuzzes each for FUZZ_SECONDS (default 60) on a copy of
# its corpus: the source tree's corpora are never written to.
#
# Exit status: 0 nothing found; 1 a crash, leak, sanitizer report, timeout or
# broken invariant (each input that triggered one is printed in base64 and kept
# in the work directory, whose path is printed); 77 no clang that links
# -fsanitize=fuzzer (Debian 12: apt-get install clang libclang-rt-14-dev).
#
# Environment:
#   FUZZ_CC       the compiler (default clang)
#   FUZZ_SECONDS  how long to fuzz; 0 runs the seed corpus once (default 60)
#   FUZZ_ARGS     more libFuzzer flags ("-seed=1", "-len_control=0"), and more corpus
#                 directories to read seeds from (new inputs go to the copy only)
#   FUZZ_WORKDIR  where the corpus copy and crash inputs go (default: a new
#                 directory under TMPDIR, removed when nothing was found)
set -u

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
builddir=$(cd "${1:-.}" && pwd)
cc=${FUZZ_CC:-clang}
seconds=${FUZZ_SECONDS:-60}

case $seconds in
'' | *[!0-9]*)
	echo "fuzz: FUZZ_SECONDS must be a number of seconds, not '$seconds'" >&2
	exit 2
	;;
esac

# FUZZ_CC may carry flags ("clang-14 -m64"): it is split on spaces where it is run.
if ! command -v "${cc%% *}" >/dev/null 2>&1; then
	echo "fuzz: SKIP: ${cc%% *} not found (Debian 12: apt-get install clang libclang-rt-14-dev)" >&2
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ctrd-fuzz.XXXXXX") || exit 2
keep_tmp=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	[ -n "$keep_tmp" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 2' HUP INT TERM

# A missing libFuzzer runtime is a skip; a failure to build ctrd's sources is not.
cat >"$tmp/probe.c" <<'EOF'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return 0; }
EOF
# shellcheck disable=SC2086
if ! $cc -fsanitize=fuzzer,address,undefined "$tmp/probe.c" -o "$tmp/probe" >"$tmp/probe.log" 2>&1; then
	sed 's/^/  /' "$tmp/probe.log" >&2
	echo "fuzz: SKIP: $cc cannot link -fsanitize=fuzzer,address,undefined" \
		"(Debian 12: apt-get install clang libclang-rt-14-dev)" >&2
	exit 77
fi

# The proto sources include config.h: the configured one, or the one thing they need from it.
if [ -f "$builddir/config.h" ]; then
	confdir=$builddir
else
	confdir=$tmp
	printf '#define _GNU_SOURCE 1\n' >"$tmp/config.h"
fi
jansson=$(pkg-config --cflags --libs jansson 2>/dev/null) || jansson=-ljansson

mkdir -p "$builddir/tests/fuzz" || exit 2
# build NAME SOURCE...: tests/fuzz/NAME in the build directory, or fail.
build() {
	name=$1
	shift
	echo "  CC       $builddir/tests/fuzz/$name"
	# shellcheck disable=SC2086 # $cc and $jansson are lists of words
	$cc -std=gnu11 -g -O1 -fno-omit-frame-pointer \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
		-I"$confdir" -I"$srcdir/include" -I"$srcdir/proto" -I"$srcdir/daemon" \
		"$@" "$srcdir/proto/error.c" "$srcdir/proto/util.c" "$srcdir/proto/baseutil.c" \
		$jansson -o "$builddir/tests/fuzz/$name" || {
		echo "fuzz: FAIL: building $builddir/tests/fuzz/$name" >&2
		exit 1
	}
}
build fuzz_request "$srcdir/tests/fuzz/fuzz_request.c" "$srcdir/proto/frame.c" \
	"$srcdir/proto/rpc.c" "$srcdir/proto/params.c" "$srcdir/proto/jsonw.c"
build fuzz_user "$srcdir/tests/fuzz/fuzz_user.c" "$srcdir/daemon/user.c"

work=${FUZZ_WORKDIR:-$tmp/work}
if [ "$seconds" -eq 0 ]; then
	limit=-runs=0
else
	limit=-max_total_time=$seconds
fi

# fuzz NAME CORPUS DICT: FUZZ_SECONDS of tests/fuzz/NAME on a copy of CORPUS.
status=0
fuzz() {
	bin=$builddir/tests/fuzz/$1
	mkdir -p "$work/$1/corpus" "$work/$1/crashes" || exit 2
	cp "$srcdir/tests/fuzz/$2"/* "$work/$1/corpus/" || exit 2
	echo "fuzz: $bin for ${seconds}s on a copy of the corpus in $work/$1/corpus"
	# libFuzzer exits 77 itself on a crash (its -error_exitcode): never pass that on as a skip.
	# shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		"$bin" -max_len=65536 -timeout=5 -print_final_stats=1 \
		-dict="$srcdir/tests/fuzz/$3" -artifact_prefix="$work/$1/crashes/" \
		$limit "$work/$1/corpus" ${FUZZ_ARGS:-}
	s=$?
	[ $s -eq 0 ] || status=$s
}
fuzz fuzz_request corpus request.dict
fuzz fuzz_user corpus-user user.dict

found=$(find "$work"/*/crashes -type f | sort)
if [ $status -eq 0 ] && [ -z "$found" ]; then
	echo "fuzz: PASS: nothing found in ${seconds}s per target"
	exit 0
fi
keep_tmp=1
for f in $found; do
	echo "fuzz: input that failed: $f (base64):"
	base64 "$f" | head -c 8192
	echo
done
echo "fuzz: FAIL (libFuzzer exit $status); reproduce with: $builddir/tests/fuzz/NAME FILE" >&2
exit 1
