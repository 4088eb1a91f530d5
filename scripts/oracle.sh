#!/usr/bin/env bash
# Regenerates testdata/oracle/<flink-version>/ with real Flink: builds the Maven module oracle/ once per
# Flink version (profile flink-<v>) and runs the oracle on a MiniCluster. Needs Java 17, Maven and Go (the SQL
# cases read the states of the edited SQL job with spcheck inspect, built here).
# Usage: scripts/oracle.sh [VERSION...]   (default: every profile; versions run one at a time)
# A subset regenerates those versions, then the upgrade cases that involve them: each version restores the
# snapshots of the version before it (from-<version>--… cases), so regenerating 1.20 also reruns 2.0's
# from-1.20.1 cases against the new 1.20 snapshots.
set -euo pipefail
cd "$(dirname "$0")/.."
all=(1.18 1.19 1.20 2.0 2.1 2.2 2.3)
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=("${all[@]}")
full_of() { sed -n "s|.*<id>flink-$1</id><properties><flink.version>\([^<]*\)</flink.version>.*|\1|p" oracle/pom.xml; }
for v in "${versions[@]}"; do
  [ -n "$(full_of "$v")" ] || { echo "oracle: no Maven profile flink-$v in oracle/pom.xml (have: ${all[*]})" >&2; exit 2; }
done
# spcheck for the SQL cases, outside oracle/target (each version's build cleans it)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/spcheck" ./cmd/spcheck
# the JVM options Flink's own scripts use on Java 17 (env.java.opts.all in Flink's config.yaml); Kryo needs them
opens=()
for p in java.lang java.lang.reflect java.io java.nio java.net java.text java.time java.util java.util.concurrent \
  java.util.concurrent.atomic java.util.concurrent.locks sun.nio.ch; do opens+=("--add-opens=java.base/$p=ALL-UNNAMED"); done
built=""
build() {
  [ "$built" = "$1" ] && return
  (cd oracle && mvn -q -B -P "flink-$1" clean package && mvn -q -B -P "flink-$1" dependency:build-classpath -Dmdep.outputFile=target/classpath.txt)
  built=$1
}
oracle() { # VERSION ARGS...
  local full; full=$(full_of "$1"); shift
  java -Xmx1g "${opens[@]}" -Dspcheck.bin="$tmp/spcheck" \
    -cp "oracle/target/spcheck-oracle-$full.jar:$(cat oracle/target/classpath.txt)" \
    dev.spcheck.oracle.Oracle "testdata/oracle/$full" "$@" 2>&1 | grep -v '^SLF4J'
}
start=$SECONDS
for v in "${versions[@]}"; do
  full=$(full_of "$v")
  echo "oracle: Flink $full" >&2
  build "$v"
  rm -rf "testdata/oracle/$full"
  oracle "$v"
  # Flink 2.2 and later: the sink's upsert materializers (SinkJob's variants), plan and savepoint each, and
  # every variant restored from every one's savepoint (nothing for earlier versions)
  oracle "$v" --sink-files "testdata/oracle/$full/sink-materializer"
  # Flink 1.20 and later: retained checkpoints with checkpoint file merging, their metadata and what Flink did
  # restoring them while their files were there (nothing for earlier versions)
  oracle "$v" --file-merging "testdata/oracle/$full/file-merging"
done
# Upgrading Flink: each version restores the snapshots of the version before it, for every adjacent pair
# that involves a regenerated version (and whose snapshots are there).
prev=""
for v in "${all[@]}"; do
  if [ -n "$prev" ] && [ -d "testdata/oracle/$(full_of "$prev")/savepoints" ] && [ -d "testdata/oracle/$(full_of "$v")/savepoints" ] &&
    [[ " ${versions[*]} " == *" $prev "* || " ${versions[*]} " == *" $v "* ]]; then
    echo "oracle: Flink $(full_of "$v") from $(full_of "$prev")'s snapshots" >&2
    build "$v"
    oracle "$v" --only from- --upgrade-from "testdata/oracle/$(full_of "$prev")"
  fi
  prev=$v
done
echo "oracle: done in $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s; now: go test ./internal/cli -run TestOracle -update" >&2
