package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
)

const fixturesHelp = `
export writes the sample dataset --sample names at --scale into --out: its
tables as Parquet files (shop: PRODUCTS, PEOPLE, ORDERS, REVIEWS; saas:
PARTNERS, ACCOUNTS, USERS, SUBSCRIPTIONS, INVOICES, EVENTS), and model.yaml,
the sample's model reading them.

load creates the same tables in the PostgreSQL database --db names
(replacing tables of the same names), copies the rows in, and adds primary
keys, indexes on the foreign keys and statistics; then
agentlayer serve [--sample saas] --db URL serves the sample from there.

The data are exactly those agentlayer serve generates at that scale, so any
answer of the server can be checked against them.`

func fixturesCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("fixtures", "agentlayer fixtures export --out DIR [--sample shop|saas] [--scale N]\n       agentlayer fixtures load --db postgres://… [--sample shop|saas] [--scale N]", fixturesHelp, nil, stdout)
	scale := fs.Float64("scale", 1, "scale factor (shop: 1 ≈ 19k orders, 100 ≈ 1.9M; saas: 1 ≈ 40k events)")
	name := fs.String("sample", fixtures.Shop.Name, "the `dataset`: shop or saas")
	out := fs.String("out", "", "`directory` to write into (created if missing), for export")
	dbURL := fs.String("db", "", "PostgreSQL `URL` to load into, for load")
	if done, err := subcommand(fs, args, "export", "load"); done || err != nil {
		return err
	}
	sample, err := fixtures.Lookup(*name)
	if err != nil {
		return usagef("--sample: %v", err)
	}
	if args[0] == "load" {
		if !engine.IsPostgres(*dbURL) {
			return usagef("load needs --db, a postgres:// URL")
		}
		db, err := sql.Open("pgx", *dbURL)
		if err != nil {
			return err
		}
		defer db.Close()
		if err := sample.LoadPostgres(ctx, db, *scale); err != nil {
			return err
		}
		counts, err := rowCounts(ctx, db, sample)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "loaded %s rows\n", counts)
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
	if err := sample.Generate(ctx, db, *scale); err != nil {
		return err
	}
	if err := sample.Export(ctx, db, *out); err != nil {
		return err
	}
	counts, err := rowCounts(ctx, db, sample)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s rows, and model.yaml\n", *out, counts)
	return nil
}

// rowCounts says how many rows each table of the sample has in db:
// "PRODUCTS 200, PEOPLE 2500, …".
func rowCounts(ctx context.Context, db *sql.DB, s *fixtures.Sample) (string, error) {
	var parts []string
	for _, t := range s.Tables() {
		var n int64
		if err := db.QueryRowContext(ctx, fmt.Sprintf("SELECT count(*) FROM %q", t)).Scan(&n); err != nil {
			return "", err
		}
		parts = append(parts, fmt.Sprintf("%s %d", t, n))
	}
	return strings.Join(parts, ", "), nil
}
