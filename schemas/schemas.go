// Package schemas holds the published JSON Schemas of spcheck's inputs and
// outputs: the job-graph manifest (jobgraph-v1.json), the output of
// 'spcheck inspect -o json' (inspect-v1.json) and of 'spcheck check -o
// json' (check-v1.json), of 'spcheck diff -o json' (diff-v1.json) and of
// 'spcheck ls -o json' (ls-v1.json).
package schemas

import _ "embed"

// JobGraphV1 is the schema of job-graph manifests (format spcheck/jobgraph/v1).
//
//go:embed jobgraph-v1.json
var JobGraphV1 []byte

// InspectV1 is the schema of 'spcheck inspect -o json' (spcheck/inspect/v1).
//
//go:embed inspect-v1.json
var InspectV1 []byte

// CheckV1 is the schema of 'spcheck check -o json' (spcheck/check/v1).
//
//go:embed check-v1.json
var CheckV1 []byte

// DiffV1 is the schema of 'spcheck diff -o json' (spcheck/diff/v1).
//
//go:embed diff-v1.json
var DiffV1 []byte

// LsV1 is the schema of 'spcheck ls -o json' (spcheck/ls/v1).
//
//go:embed ls-v1.json
var LsV1 []byte
