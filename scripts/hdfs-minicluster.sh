#!/usr/bin/env bash
# hdfs-minicluster.sh: the real HDFS the HDFS tests run against: Hadoop's
# MiniDFSCluster (and MiniKdc) behind the small launcher in hdfs-minicluster/,
# built with Maven from Maven Central and cached by the hash of its sources.
#
#   scripts/hdfs-minicluster.sh install   build it if missing; print its directory
#   scripts/hdfs-minicluster.sh path      print its directory (built or not)
#
# The directory holds classes/ and lib/ (the launcher and its jars); the Go
# test helper (internal/testserver/minidfs.go) runs
# java -cp "DIR/classes:DIR/lib/*" spcheck.hdfs.MiniHdfs. The cache is
# $SPCHECK_CACHE, by default ${XDG_CACHE_HOME:-$HOME/.cache}/spcheck. The first
# build downloads about 80 MB of jars (Maven's own cache, ~/.m2, keeps them).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=$ROOT/hdfs-minicluster
CACHE=${SPCHECK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/spcheck}
HASH=$(cd "$SRC" && find pom.xml src -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)
DIR=$CACHE/hdfs-minicluster-$HASH

case "${1:-}" in
install)
	if [ ! -f "$DIR/ok" ]; then
		command -v mvn >/dev/null || { echo "hdfs-minicluster.sh: Maven (mvn) and a JDK 17 are needed to build the HDFS test cluster" >&2; exit 1; }
		mkdir -p "$CACHE"
		echo "hdfs-minicluster.sh: building the HDFS test cluster (Hadoop MiniDFSCluster) with Maven" >&2
		tmp=$(mktemp -d "$CACHE/hdfs-minicluster-build.XXXXXX")
		trap 'rm -rf "$tmp"' EXIT
		cp -r "$SRC/pom.xml" "$SRC/src" "$tmp/"
		(cd "$tmp" && mvn -q -B -Dstyle.color=never package -DskipTests >&2)
		rm -rf "$DIR"
		mkdir -p "$DIR"
		mv "$tmp/target/classes" "$tmp/target/lib" "$DIR/"
		touch "$DIR/ok"
	fi
	echo "$DIR"
	;;
path)
	echo "$DIR"
	;;
*)
	echo "usage: $0 install|path" >&2
	exit 2
	;;
esac
