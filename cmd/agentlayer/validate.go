package main

import (
	"context"
	"fmt"
	"io"

	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/permissions"
	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen"
)

const validateHelp = `
Checks a semantic model, and a policy file against it, and prints every
problem with file:line:col, the offending line and a caret; exits 1 if there
is any.

Without --db the model is checked on its own, so every field must declare its
type. With --db, every table source and field is also checked against that
DuckDB database, opened read-only.`

func validate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("validate", "agentlayer validate [--db FILE] MODEL [POLICY]", validateHelp, nil, stdout)
	dbFile := fs.String("db", "", "DuckDB database `file` to check the model's sources against")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		fs.Usage()
		return 2
	}
	modelFile, policyFile := fs.Arg(0), fs.Arg(1)
	var err error
	if *dbFile != "" {
		var e *engine.Engine
		e, err = engine.New(ctx, engine.Options{ModelFile: modelFile, PolicyFile: policyFile, Database: *dbFile, ReadOnly: true, Unrestricted: policyFile == ""})
		if err == nil {
			e.Close()
		}
	} else {
		err = validateOffline(modelFile, policyFile)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok\n", modelFile)
	if policyFile != "" {
		fmt.Fprintf(stdout, "%s: ok\n", policyFile)
	}
	return 0
}

// validateOffline checks a model whose types are declared, its filters'
// translation to SQL, and a policy against it, without a database.
func validateOffline(modelFile, policyFile string) error {
	m, err := semantic.Load(modelFile, semantic.Options{})
	if err != nil {
		return err
	}
	if _, err := sqlgen.NewCatalog(m); err != nil {
		return err
	}
	if policyFile != "" {
		_, err = permissions.Load(policyFile, m, permissions.Options{})
	}
	return err
}
