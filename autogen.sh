#!/bin/sh
# Generates ./configure. Needs autoconf, automake and pkg-config (for PKG_CHECK_MODULES).
set -e
cd "$(dirname "$0")"
mkdir -p build-aux m4
autoreconf --force --install --warnings=all
# The TAP driver runs our test programs; automake ships it but does not install it by itself.
for d in /usr/share/automake-*; do
	[ -f "$d/tap-driver.sh" ] && cp -f "$d/tap-driver.sh" build-aux/ && break
done
test -f build-aux/tap-driver.sh || { echo "autogen.sh: automake's tap-driver.sh not found" >&2; exit 1; }
