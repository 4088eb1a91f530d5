#!/usr/bin/env bash
# Tests the spcheck-graph Maven plugin (oracle/maven-plugin): installs the extractor and the plugin into the
# local Maven repository, builds a temp copy of examples/flink-job (whose build runs spcheck-graph:extract),
# and checks that the manifest the build wrote equals what spcheck-graph writes for the same JAR; then that a
# project without flink-clients fails with a message naming it. Needs Java 17 and Maven.
# Usage: scripts/test-graph-plugin.sh [FLINK]   (a profile of oracle/pom.xml: 1.18 … 2.3; default 1.20)
set -euo pipefail
cd "$(dirname "$0")/.."
v=${1:-1.20}
full=$(sed -n "s|.*<id>flink-$v</id><properties><flink.version>\([^<]*\)</flink.version>.*|\1|p" oracle/pom.xml)
[ -n "$full" ] || { echo "test-graph-plugin: no Maven profile flink-$v in oracle/pom.xml" >&2; exit 2; }
echo "test-graph-plugin: Flink $full" >&2
(cd oracle && mvn -q -B -P "flink-$v" install -DskipTests &&
  mvn -q -B -P "flink-$v" dependency:build-classpath -Dmdep.outputFile=target/classpath.txt)
(cd oracle/maven-plugin && mvn -q -B install)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r examples/flink-job/. "$tmp/job/" 2>/dev/null || { mkdir -p "$tmp/job" && cp -r examples/flink-job/. "$tmp/job/"; }
(cd "$tmp/job" && mvn -q -B -Dflink.version="$full" package 2>&1 | grep -v '^SLF4J' || true)
[ -s "$tmp/job/target/spcheck-graph.json" ] || { echo "test-graph-plugin: FAIL: the build wrote no target/spcheck-graph.json" >&2; exit 1; }
opens=""
for p in java.lang java.lang.reflect java.io java.nio java.net java.text java.time java.util java.util.concurrent \
  java.util.concurrent.atomic java.util.concurrent.locks sun.nio.ch; do opens="$opens --add-opens=java.base/$p=ALL-UNNAMED"; done
# shellcheck disable=SC2086
java $opens -cp "oracle/target/spcheck-oracle-$full.jar:$(cat oracle/target/classpath.txt)" dev.spcheck.oracle.GraphTool \
  --jar "$tmp/job/target/orders-job-1.0.jar" -p 2 -D state.backend.type=rocksdb -o "$tmp/direct.json" -- --env prod 2>&1 | grep -v '^SLF4J' || true
diff -u "$tmp/direct.json" "$tmp/job/target/spcheck-graph.json" || { echo "test-graph-plugin: FAIL: the plugin's manifest differs from spcheck-graph's" >&2; exit 1; }
grep -q "\"flinkVersion\": \"$full\"" "$tmp/job/target/spcheck-graph.json" || { echo "test-graph-plugin: FAIL: not Flink $full" >&2; exit 1; }
# a project without flink-clients: the goal fails and says what to add
sed -i '/flink-clients/d' "$tmp/job/pom.xml"
if (cd "$tmp/job" && mvn -B -Dflink.version="$full" package >"$tmp/noclients.log" 2>&1); then
  echo "test-graph-plugin: FAIL: a project without flink-clients built" >&2; exit 1
fi
grep -q "has no org.apache.flink:flink-clients dependency" "$tmp/noclients.log" ||
  { echo "test-graph-plugin: FAIL: no clear error without flink-clients:" >&2; tail -20 "$tmp/noclients.log" >&2; exit 1; }
echo "test-graph-plugin: ok (the plugin's manifest equals spcheck-graph's; $(grep -c '"name"' "$tmp/direct.json") operators)" >&2
