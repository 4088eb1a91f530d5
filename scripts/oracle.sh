#!/usr/bin/env bash
# Regenerates testdata/oracle/<flink-version>/ with real Flink: builds the Maven module oracle/ once per
# Flink version (profile flink-<v>) and runs the oracle on a MiniCluster. Needs Java 17 and Maven.
# Usage: scripts/oracle.sh [VERSION...]   (default: every profile; versions run one at a time)
set -euo pipefail
cd "$(dirname "$0")/.."
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(1.18 1.19 1.20 2.0 2.1 2.2)
full_of() { sed -n "s|.*<id>flink-$1</id><properties><flink.version>\([^<]*\)</flink.version>.*|\1|p" oracle/pom.xml; }
build() {
  (cd oracle && mvn -q -B -P "flink-$1" clean package && mvn -q -B -P "flink-$1" dependency:build-classpath -Dmdep.outputFile=target/classpath.txt)
}
oracle() { # VERSION ARGS...
  local full; full=$(full_of "$1"); shift
  java -Xmx1g -cp "oracle/target/spcheck-oracle-$full.jar:$(cat oracle/target/classpath.txt)" \
    dev.spcheck.oracle.Oracle "testdata/oracle/$full" "$@" 2>&1 | grep -v '^SLF4J'
}
for v in "${versions[@]}"; do
  full=$(sed -n "s|.*<id>flink-$v</id><properties><flink.version>\([^<]*\)</flink.version>.*|\1|p" oracle/pom.xml)
  [ -n "$full" ] || { echo "oracle: no Maven profile flink-$v in oracle/pom.xml" >&2; exit 2; }
  echo "oracle: Flink $full" >&2
  build "$v"
  rm -rf "testdata/oracle/$full"
  oracle "$v"
done
# Upgrading Flink: each version restores the snapshots of the version before it (when that one is there).
prev=""
for v in "${versions[@]}"; do
  if [ -n "$prev" ] && [ -d "testdata/oracle/$(full_of "$prev")/savepoints" ]; then
    echo "oracle: Flink $(full_of "$v") from $(full_of "$prev")'s snapshots" >&2
    build "$v"
    oracle "$v" --only from- --upgrade-from "testdata/oracle/$(full_of "$prev")"
  fi
  prev=$v
done
