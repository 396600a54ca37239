package sqlgen

import (
	"strconv"
	"strings"

	"github.com/agentlayer/agentlayer/semantic"
)

// Dialect is what rendering needs to know about a database's SQL.
type Dialect interface {
	// Name is the database engine's name as the Agent API reports it.
	Name() string
	// QuoteIdent quotes an identifier that comes from the model.
	QuoteIdent(name string) string
	// Source renders a table source as a FROM item, without alias.
	Source(src semantic.Source) string
	// Placeholder is the marker of the n-th bound parameter, from 1.
	Placeholder(n int) string
}

// DuckDB renders SQL for DuckDB.
type DuckDB struct{}

var _ Dialect = DuckDB{}

// Name implements Dialect.
func (DuckDB) Name() string { return "duckdb" }

// QuoteIdent implements Dialect: "name", with embedded quotes doubled.
func (DuckDB) QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// quoteString renders a string literal of the model (a file path), never a
// request value: those are always bound.
func quoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Source implements Dialect.
func (d DuckDB) Source(src semantic.Source) string {
	switch src.Kind {
	case semantic.SourceSQL:
		return "(" + src.Text + ")"
	case semantic.SourceParquet:
		return "read_parquet(" + quoteString(src.Text) + ")"
	case semantic.SourceCSV:
		return "read_csv(" + quoteString(src.Text) + ")"
	}
	// A table name may be qualified: schema.table or catalog.schema.table.
	parts := strings.Split(src.Text, ".")
	for i, p := range parts {
		parts[i] = d.QuoteIdent(p)
	}
	return strings.Join(parts, ".")
}

// Placeholder implements Dialect: $1, $2, …
func (DuckDB) Placeholder(n int) string { return "$" + strconv.Itoa(n) }
