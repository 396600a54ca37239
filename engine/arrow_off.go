//go:build !duckdb_arrow

package engine

import "context"

// Columnar reports whether this build reads DuckDB's answers through its
// Arrow interface (the duckdb_arrow build tag); this one reads them
// through database/sql, each value boxed (docs/performance.md).
const Columnar = false

// arrowAnswer is the duckdb_arrow build's; this build has none.
type arrowAnswer struct{}

func (e *Engine) columnarQuery(context.Context, string, []any, []Column) (*arrowAnswer, bool, error) {
	return nil, false, nil
}

func (b *buffer) fillColumnar(*arrowAnswer, func(error) error, func()) {}
