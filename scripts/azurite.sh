#!/usr/bin/env bash
# azurite.sh: Azurite, the Azure Storage emulator the Azure tests run
# against, installed from the npm registry at a pinned version and cached
# by version.
#
#   scripts/azurite.sh install   install it if missing; print the path of
#                                its azurite-blob entry point
#   scripts/azurite.sh path      print that path (installed or not)
#
# The cache is $SPCHECK_CACHE, by default ${XDG_CACHE_HOME:-$HOME/.cache}/spcheck;
# Azurite goes to $SPCHECK_CACHE/azurite-<version>, and the entry point is
# $SPCHECK_CACHE/azurite-<version>/node_modules/.bin/azurite-blob. The Go
# test helper (internal/testserver) looks in the same place, or at
# $SPCHECK_AZURITE_BIN. Keep AZURITE_VERSION in step with AzuriteVersion in
# internal/testserver/azurite.go.
#
# Needs node and npm (Debian: apt-get install nodejs npm). 3.35.0 is the
# last release that runs on Node 20; later ones want Node 21 or 22.
set -euo pipefail

AZURITE_VERSION=3.35.0
CACHE=${SPCHECK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spcheck}
DIR=$CACHE/azurite-$AZURITE_VERSION
BIN=$DIR/node_modules/.bin/azurite-blob

case "${1:-}" in
install)
	if [ ! -x "$BIN" ]; then
		if ! command -v npm >/dev/null; then
			# A fresh Debian machine: install Node.js and npm when we can.
			if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
				echo "azurite.sh: installing nodejs and npm from Debian" >&2
				apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >&2
			fi
			command -v npm >/dev/null || { echo "azurite.sh: npm not found; install Node.js and npm" >&2; exit 1; }
		fi
		mkdir -p "$CACHE"
		echo "azurite.sh: installing azurite $AZURITE_VERSION from npm" >&2
		# Into a temporary directory renamed when complete, so that a
		# broken install leaves nothing that looks installed.
		tmp=$(mktemp -d "$CACHE/azurite-build.XXXXXX")
		trap 'rm -rf "$tmp"' EXIT
		(cd "$tmp" &&
			echo '{"name":"spcheck-azurite","private":true}' >package.json &&
			npm install --no-audit --no-fund --no-package-lock --loglevel=error \
				"azurite@$AZURITE_VERSION" >&2)
		[ -x "$tmp/node_modules/.bin/azurite-blob" ] || { echo "azurite.sh: npm install left no azurite-blob" >&2; exit 1; }
		rm -rf "$DIR"
		mv "$tmp" "$DIR"
		trap - EXIT
	fi
	echo "$BIN"
	;;
path)
	echo "$BIN"
	;;
*)
	echo "usage: $0 install|path" >&2
	exit 2
	;;
esac
