// Package benchmarks measures agentlayer against raw DuckDB on the sample
// dataset: go test -bench . ./benchmarks. It holds no correctness tests.
package benchmarks
