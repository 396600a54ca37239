//go:build !duckdb_arrow

package engine

import "context"

// Columnar reports whether this build reads DuckDB's answers through its
// Arrow interface (the duckdb_arrow build tag); this one reads them
// through database/sql, each value boxed.
const Columnar = false

// arrowQuery is the duckdb_arrow build's; this build reads DuckDB's
// answers the boxed way.
func (e *Engine) arrowQuery(context.Context, string, []any, []Column) (encodedRows, bool, error) {
	return nil, false, nil
}
