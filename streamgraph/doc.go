// Package streamgraph reproduces the operator IDs Flink assigns to the
// operators of a DataStream job, including the IDs it generates for
// operators without uid(...) from the topology of the job.
//
// A savepoint keys its state by these IDs. An operator with a uid keeps its
// ID as long as the uid stays; an operator without one gets an ID derived
// from its place in the StreamGraph, which changes with edits elsewhere in
// the job. Hash computes both kinds from a Graph, a model of the
// StreamGraph (graph.go), as StreamGraphHasherV2 and StreamGraphUserHashHasher
// do (hasher.go). GraphFromPlan builds a Graph from the JSON execution plan
// Flink prints (plan.go).
//
// # Flink sources followed
//
// flink-streaming-java/src/main/java/org/apache/flink/streaming/api/graph/
// (flink-runtime/... in the 2.x line): StreamGraphHasherV2.java,
// StreamGraphUserHashHasher.java, StreamingJobGraphGenerator.java
// (isChainable, isChainableInput, areOperatorsChainable, getHeadOperator),
// StreamNode.java, StreamEdge.java, JSONGenerator.java; and
// .../api/operators/ChainingStrategy.java and the partitioners of
// .../runtime/partitioner/.
//
// # Versions
//
// Flink 1.3 to 2.3. StreamGraphHasherV2 is the hasher of every release
// since 1.2; what changes between releases is the rule deciding which output
// edges are chainable, which the hash counts (IsChainable):
//
//   - 1.3-1.10: the hasher's own copy of the rule: one input, same slot
//     sharing group, target ALWAYS, source HEAD or ALWAYS, forward
//     partitioner, same parallelism, chaining enabled.
//   - 1.11+: the hasher delegates to StreamingJobGraphGenerator#isChainable,
//     which adds: BATCH exchanges do not chain; a yielding operator (async
//     I/O) does not chain to a chain headed by a legacy source.
//   - 1.12+: HEAD_WITH_SOURCES, which chains only to FLIP-27 sources.
//   - 1.18+: pipeline.operator-chaining.chain-operators-with-different-max-parallelism
//     (default true); when false, different max parallelism breaks chains.
//
// 2.2 and 2.3 changed nothing the model follows: StreamGraphHasherV2,
// StreamGraphUserHashHasher, JSONGenerator, StreamEdge and ChainingStrategy
// are byte-identical in the 2.1.0, 2.2.0 and 2.3.0 sources jars, and
// StreamingJobGraphGenerator differs only in job and application IDs,
// checkpoint configuration, metric variables and slot sharing group names,
// not in isChainable.
//
// The corpus of savepoints written by Flink 1.3 to 2.2 for Flink's own
// migration tests checks the model (corpus_test.go for flink-tests,
// compare/topology_test.go for both it and flink-tests-2.3); those jobs
// use none of the version-dependent features, so the 1.11, 1.12 and 1.18
// boundaries rest on reading the sources, not on savepoints.
//
// 1.2 is left out (its user-hash hasher refused setUidHash on an operator
// chained to its input; Hash does not reproduce that refusal for any
// release), and so is 1.1 and earlier, whose hasher also hashed parallelism
// and user function class names.
//
// # Not modelled
//
// Stream iterations; the operators the Table/SQL planner generates (it sets
// uids itself from 1.16, table.exec.uid.format); Sink V2 and other
// composite transformations are modelled only as the StreamNodes they expand
// to, which the caller lists.
package streamgraph
