package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/agentlayer/agentlayer/internal/enginemodel"

	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/semantic"
)

const validateHelp = `
Checks a semantic model, and a policy file against it, and prints every
problem with file:line:col, the offending line and a caret; exits 1 if there
is any. The policy's problems that do not depend on a broken part of the
model are reported in the same run as the model's.

Without --db, the columns of tables read from Parquet or CSV files are
checked against those files; tables read from a database are checked on
their own, so their fields must declare their types. With --db, every table
source and field is checked against that database — a DuckDB file opened
read-only, or a PostgreSQL server — and the policy's patterns against what
PostgreSQL can express. On success, validate says what it checked and what
it could not.`

func validate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("validate", "agentlayer validate [--db FILE] MODEL [POLICY]", validateHelp, nil, stdout)
	dbFile := fs.String("db", "", "DuckDB database `file`, or PostgreSQL postgres:// URL, to check the model's sources against")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		fs.Usage()
		return usagef("")
	}
	modelFile, policyFile := fs.Arg(0), fs.Arg(1)
	e, err := engine.New(ctx, engine.Options{ModelFile: modelFile, PolicyFile: policyFile, Unrestricted: policyFile == "",
		Database: *dbFile, ReadOnly: true, Offline: *dbFile == ""})
	if err != nil {
		return err
	}
	m := enginemodel.Of(e)
	warnings := e.Warnings()
	if *dbFile != "" {
		shape, err := e.CheckData(ctx)
		if err != nil {
			e.Close()
			return err
		}
		warnings = append(warnings, shape...)
	}
	e.Close()
	for _, w := range warnings {
		fmt.Fprintf(stdout, "warning: %s\n", w)
	}
	fmt.Fprintf(stdout, "%s: ok\n", modelFile)
	for _, line := range checked(m, *dbFile != "") {
		fmt.Fprintf(stdout, "  %s\n", line)
	}
	if policyFile != "" {
		fmt.Fprintf(stdout, "%s: ok\n  checked: tables, columns and attributes named, and every rule translated to SQL with its exact meaning\n", policyFile)
	}
	return nil
}

// checked says what validation covered of model m, and what not.
func checked(m *semantic.Model, withDB bool) []string {
	out := []string{"checked: the YAML, keys, types, relationships and exposed paths, expressions, segments, measures and metrics"}
	lock := semantic.LockFile(m.File)
	if m.PositionalIDs {
		out = append(out, fmt.Sprintf("field ids: positions, with no %s: adding a field moves the ids after it; agentlayer ids update --model %s keeps them stable", lock, m.File))
	} else {
		line := "field ids: numbered by " + lock
		if prev, err := semantic.ReadIDLock(lock); err == nil && prev != nil {
			if _, ch := semantic.UpdateIDs(m, prev); len(ch.Retired) > 0 {
				line += "; ids update would retire " + strings.Join(ch.Retired, ", ")
			}
		}
		out = append(out, line)
	}
	if withDB {
		return append(out, "columns: every table's, against the database")
	}
	var files, tables []string
	for _, t := range m.Tables {
		switch t.Source.Kind {
		case semantic.SourceParquet, semantic.SourceCSV:
			files = append(files, t.Name)
		default:
			tables = append(tables, t.Name)
		}
	}
	if len(files) > 0 {
		out = append(out, "columns: checked against their files for "+strings.Join(files, ", "))
	}
	if len(tables) > 0 {
		out = append(out, "columns: NOT checked for "+strings.Join(tables, ", ")+" (read from a database: give --db to check that the columns exist with the declared types)")
	}
	return out
}
