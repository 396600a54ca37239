package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
)

const explainHelp = `
Prints how a construct request (the body of POST /api/agent/v1/construct-query)
is planned: the logical query, the row filters, the result columns, and the
SQL with its bound parameters. Nothing is run.

With no --model, explains against the built-in sample model and policy. With
--as-email (and --group, --attr), it plans as that user would be: it names the
policies that apply and shows the row filters they add; otherwise it plans
with full access. The engine is the one serve runs, opened without a
database unless --db names one. A request read from - comes from standard
input.`

func explain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("explain", "agentlayer explain --request FILE.json [flags]", explainHelp, nil, stdout)
	requestFile := fs.String("request", "", "construct request `file` (JSON), or - for standard input (required)")
	var m modelFlags
	m.register(fs, false)
	var u principalFlags
	u.register(fs, "as-email", "plan as the user with this `email`")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *requestFile == "" || fs.NArg() > 0 {
		fs.Usage()
		return usagef("")
	}
	if err := m.check(explicitFlags(fs)); err != nil {
		return err
	}
	data, err := readRequestFile(*requestFile)
	if err != nil {
		return err
	}
	opts := m.options()
	opts.Offline, opts.ReadOnly = m.dbFile == "", true
	if u.email == "" {
		// Full access: the plan as the model's owner sees it.
		opts.PolicyFile, opts.PolicyYAML, opts.Unrestricted = "", nil, true
	}
	e, err := engine.New(ctx, opts)
	if err != nil {
		return err
	}
	defer e.Close()
	p := u.principal()
	if u.email != "" {
		applied, _ := e.Policies(p)
		if len(applied) == 0 {
			fmt.Fprintln(stdout, "as "+u.email+": no policy applies; the user sees nothing")
		} else {
			fmt.Fprintf(stdout, "as %s: policies %s\n", u.email, strings.Join(applied, ", "))
		}
	}
	plan, err := planRequest(ctx, e, p, data)
	if err != nil {
		return requestError(err)
	}
	fmt.Fprint(stdout, plan)
	return nil
}

func readRequestFile(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(name)
}

// planRequest plans a construct request for p, as construct-query does.
func planRequest(ctx context.Context, e *engine.Engine, p *auth.Principal, data []byte) (*engine.Plan, error) {
	req, err := engine.ParseRequest(data)
	if err != nil {
		return nil, err
	}
	q, err := e.Construct(ctx, p, req)
	if err != nil {
		return nil, err
	}
	return e.Plan(ctx, p, q)
}

// requestError shows a request error with where it is: path: message.
func requestError(err error) error {
	var e *engine.Error
	if errors.As(err, &e) && e.Path != "" {
		return fmt.Errorf("%s: %s", e.Path, e.Message)
	}
	return err
}
