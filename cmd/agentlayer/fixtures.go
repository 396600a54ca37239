package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"

	_ "github.com/duckdb/duckdb-go/v2"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
)

const fixturesHelp = `
export writes the sample dataset at --scale into --out: PRODUCTS, PEOPLE,
ORDERS and REVIEWS as Parquet files, and model.yaml, the sample model reading
them.

load creates the same four tables in the PostgreSQL database --db names
(replacing tables of the same names), copies the rows in, and adds primary
keys, indexes on the foreign keys and statistics; then
agentlayer serve --db URL serves the sample from there.

The data are exactly those agentlayer serve generates at that scale, so any
answer of the server can be checked against them.`

func fixturesCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("fixtures", "agentlayer fixtures export --out DIR [--scale N]\n       agentlayer fixtures load --db postgres://… [--scale N]", fixturesHelp, nil, stdout)
	scale := fs.Float64("scale", 1, "scale factor (1 ≈ 19k orders, 100 ≈ 1.9M)")
	out := fs.String("out", "", "`directory` to write into (created if missing), for export")
	dbURL := fs.String("db", "", "PostgreSQL `URL` to load into, for load")
	if len(args) == 0 || (args[0] != "export" && args[0] != "load") {
		fs.Usage()
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return usagef("")
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	p, pe, o, r := fixtures.Counts(*scale)
	if args[0] == "load" {
		if !engine.IsPostgres(*dbURL) {
			return usagef("load needs --db, a postgres:// URL")
		}
		db, err := sql.Open("pgx", *dbURL)
		if err != nil {
			return err
		}
		defer db.Close()
		if err := fixtures.LoadPostgres(ctx, db, *scale); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "loaded PRODUCTS %d, PEOPLE %d, ORDERS %d, REVIEWS %d rows\n", p, pe, o, r)
		return nil
	}
	if *out == "" {
		return usagef("export needs --out, a directory")
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	if err := fixtures.Generate(ctx, db, *scale); err != nil {
		return err
	}
	if err := fixtures.Export(ctx, db, *out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: PRODUCTS %d, PEOPLE %d, ORDERS %d, REVIEWS %d rows, and model.yaml\n", *out, p, pe, o, r)
	return nil
}
