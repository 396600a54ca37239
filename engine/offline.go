package engine

import (
	"context"
	"database/sql"

	"github.com/agentlayer/agentlayer/semantic"
)

// fileDescriber describes the file sources of a model (Parquet, CSV) for
// an Offline engine, with a DuckDB of its own opened on first use, so that
// a model is checked against its files without a database; a table or SQL
// source, which needs one, is not described (semantic.ErrNotDescribed).
type fileDescriber struct {
	db *sql.DB
}

func (f *fileDescriber) describe(ctx context.Context, src semantic.Source) ([]semantic.SourceColumn, error) {
	if src.Kind != semantic.SourceParquet && src.Kind != semantic.SourceCSV {
		return nil, semantic.ErrNotDescribed
	}
	if f.db == nil {
		db, err := sql.Open("duckdb", "")
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(1)
		f.db = db
	}
	return describeDuckDB(ctx, f.db, src)
}

func (f *fileDescriber) close() {
	if f.db != nil {
		f.db.Close()
	}
}
