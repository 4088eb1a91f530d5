#!/usr/bin/env bash
# minio.sh: the MinIO server the S3 tests run against, built from the Go
# module proxy at a pinned version and cached by version.
#
#   scripts/minio.sh install   build it if missing; print the binary's path
#   scripts/minio.sh path      print the binary's path (built or not)
#
# The cache is $SPCHECK_CACHE, by default ${XDG_CACHE_HOME:-$HOME/.cache}/spcheck;
# the binary goes to $SPCHECK_CACHE/minio-<version>/minio. The Go test helper
# (internal/testserver) looks in the same place, or at $SPCHECK_MINIO_BIN.
# Keep MINIO_VERSION in step with minioVersion in internal/testserver/minio.go.
# The build takes 5-7 minutes on 2 cores.
set -euo pipefail

MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
CACHE=${SPCHECK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spcheck}
DIR=$CACHE/minio-$MINIO_VERSION
BIN=$DIR/minio

case "${1:-}" in
install)
	if [ ! -x "$BIN" ]; then
		mkdir -p "$DIR"
		echo "minio.sh: building minio $MINIO_VERSION (takes several minutes)" >&2
		# Outside the module, so that go install pkg@version ignores go.mod;
		# into a temporary name, so that a broken build leaves no binary.
		tmp=$(mktemp -d "$DIR/build.XXXXXX")
		trap 'rm -rf "$tmp"' EXIT
		(cd "$tmp" && GOBIN=$tmp GOFLAGS=-buildvcs=false go install "github.com/minio/minio@$MINIO_VERSION")
		mv "$tmp/minio" "$BIN"
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
