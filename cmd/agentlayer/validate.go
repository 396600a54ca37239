package main

import (
	"context"
	"fmt"
	"io"

	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/semantic"
)

const validateHelp = `
Checks a semantic model and prints every problem with file:line:col, the
offending line and a caret; exits 1 if there is any.

Without --db the model is checked on its own, so every field must declare its
type. With --db, every table source and field is also checked against that
DuckDB database, opened read-only.`

func validate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("validate", "agentlayer validate [--db FILE] MODEL", validateHelp, nil, stdout)
	dbFile := fs.String("db", "", "DuckDB database `file` to check the model's sources against")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	modelFile := fs.Arg(0)
	var err error
	if *dbFile != "" {
		var e *engine.Engine
		e, err = engine.New(ctx, engine.Options{ModelFile: modelFile, Database: *dbFile, ReadOnly: true})
		if err == nil {
			e.Close()
		}
	} else {
		_, err = semantic.Load(modelFile, semantic.Options{})
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok\n", modelFile)
	return 0
}
