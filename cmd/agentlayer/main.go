// Command agentlayer serves the Agent API and MCP over a semantic model,
// and checks, explains and tests models and policies.
//
//	agentlayer serve        serve the Agent API, MCP and the console (the built-in sample by default)
//	agentlayer token        mint a JWT for a user
//	agentlayer validate     check a model and policy file
//	agentlayer explain      print the plan and SQL of a construct request
//	agentlayer ids          write or check the model's id lock file
//	agentlayer mcp          serve MCP on stdio, acting for one user
//	agentlayer test-policy  run a policy test suite
//	agentlayer diff-policy  what a policy change grants or takes away
//	agentlayer fixtures     export the sample dataset, or load it into PostgreSQL
//
// Run agentlayer COMMAND --help for the flags and environment of each.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // --time-zone works on machines without zoneinfo
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// A command runs with its arguments and returns what went wrong, if
// anything; run maps that to an exit code, once.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "serve the Agent API over a model (the built-in sample by default)", serve},
		{"token", "mint a JWT for a user with the configured secret", token},
		{"validate", "check a model, and a policy against it; print every problem", validate},
		{"explain", "print the plan and SQL of a construct request", explain},
		{"ids", "keep field ids stable: write or check the model's id lock file", ids},
		{"mcp", "serve MCP on stdio for a desktop client, acting for one user", mcpCmd},
		{"test-policy", "run a policy test suite: what each user must see and get", testPolicy},
		{"diff-policy", "what a policy change grants or takes away, user by user", diffPolicy},
		{"fixtures", "export the sample dataset as Parquet with its model, or load it into PostgreSQL", fixturesCmd},
	}
}

// usageError is a command used wrongly: exit code 2, after the usage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return exitCode(c.run(ctx, args[1:], stdout, stderr), c.name, stderr)
		}
	}
	fmt.Fprintf(stderr, "agentlayer: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

// exitCode prints a command's error and returns its exit code: 0 for none
// (or --help), 2 for a usage error, 1 for anything else.
func exitCode(err error, name string, stderr io.Writer) int {
	var ue *usageError
	var es *exitStatus
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &es) && es.err == nil:
		return es.code
	case errors.As(err, &es):
		if code := exitCode(es.err, name, stderr); code == 2 {
			return 2
		}
		return es.code
	case errors.As(err, &ue):
		if ue.msg != "" {
			fmt.Fprintf(stderr, "%s: %s\n", name, ue.msg)
		}
		return 2
	}
	var problems interface{ All() []problem }
	if errors.As(err, &problems) {
		fmt.Fprintln(stderr, err) // file:line:col, the line and a caret, for each
		return 1
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	return 1
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "agentlayer — an embedded semantic layer with a Metabase-compatible Agent API")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: agentlayer COMMAND [flags]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run agentlayer COMMAND --help for the flags and environment of each.")
}
