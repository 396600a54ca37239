//go:build !linux

package engine

// defaultMemoryLimit is DuckDB's own default where the machine's memory is
// not read.
func defaultMemoryLimit() string { return "" }
