package main

import (
	"context"
	"fmt"
	"io"

	"github.com/agentlayer/agentlayer/engine"
)

const validateHelp = `
Checks a semantic model, and a policy file against it, and prints every
problem with file:line:col, the offending line and a caret; exits 1 if there
is any.

Without --db the model is checked on its own, so every field must declare its
type. With --db, every table source and field is also checked against that
database — a DuckDB file opened read-only, or a PostgreSQL server — and the
policy's patterns against what PostgreSQL can express.`

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
	e.Close()
	fmt.Fprintf(stdout, "%s: ok\n", modelFile)
	if policyFile != "" {
		fmt.Fprintf(stdout, "%s: ok\n", policyFile)
	}
	return nil
}
