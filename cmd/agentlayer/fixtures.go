package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/agentlayer/agentlayer/fixtures"
)

const fixturesHelp = `
export writes the sample dataset at --scale into --out: PRODUCTS, PEOPLE,
ORDERS and REVIEWS as Parquet files, and model.yaml, the sample model reading
them. The data are exactly those agentlayer serve generates at that scale, so
any answer of the server can be checked against them.`

func fixturesCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("fixtures", "agentlayer fixtures export --out DIR [--scale N]", fixturesHelp, nil, stdout)
	scale := fs.Float64("scale", 1, "scale factor (1 ≈ 19k orders, 100 ≈ 1.9M)")
	out := fs.String("out", "", "`directory` to write into (created if missing)")
	if len(args) == 0 || args[0] != "export" {
		fs.Usage()
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return usagef("")
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return usagef("")
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
	p, pe, o, r := fixtures.Counts(*scale)
	fmt.Fprintf(stdout, "wrote %s: PRODUCTS %d, PEOPLE %d, ORDERS %d, REVIEWS %d rows, and model.yaml\n", *out, p, pe, o, r)
	return nil
}
