#!/usr/bin/env bash
# Pre-deploy gate for the Flink Kubernetes Operator: before applying a new
# version of a FlinkDeployment, check that its job restores from the
# savepoint the operator will restore from, and stop the rollout if the
# restore would fail or lose state.
#
# usage: predeploy-gate.sh DEPLOYMENT NEW_JOB_GRAPH [NAMESPACE]
#
#   DEPLOYMENT      the FlinkDeployment's name
#   NEW_JOB_GRAPH   the new version's job-graph manifest or SQL compiled plan
#   NAMESPACE       default: the current kubectl namespace
#
# Exit status: 0 go ahead; 1 the restore would fail or lose state; 2 usage;
# 3 the savepoint or the job graph could not be read. spcheck reads the
# savepoint location, allowNonRestoredState and the parallelism from the
# live resource; it needs read access to the savepoint storage.
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $0 DEPLOYMENT NEW_JOB_GRAPH [NAMESPACE]" >&2
	exit 2
fi
deployment=$1
graph=$2
ns_args=()
if [ $# -eq 3 ]; then
	ns_args=(-n "$3")
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
kubectl get flinkdeployment "$deployment" "${ns_args[@]}" -o yaml >"$tmp/deployment.yaml"

status=0
spcheck check --deployment "$tmp/deployment.yaml" --graph "$graph" --fail-on unknown || status=$?
case $status in
0) echo "predeploy-gate: $deployment: the new job restores from its savepoint" >&2 ;;
1) echo "predeploy-gate: $deployment: NOT deploying: the restore would fail or lose state (see above)" >&2 ;;
*) echo "predeploy-gate: $deployment: NOT deploying: spcheck could not check (exit $status)" >&2 ;;
esac
exit $status
