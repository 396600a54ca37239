package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// envVar documents an environment variable a command reads.
type envVar struct{ name, doc string }

// newFlags makes a flag set whose --help prints the synopsis, description,
// every flag and every environment variable.
func newFlags(name, synopsis, description string, env []envVar, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: %s\n\n%s\n", synopsis, strings.TrimSpace(description))
		fmt.Fprintln(out, "\nFlags:")
		fs.PrintDefaults()
		if len(env) > 0 {
			fmt.Fprintln(out, "\nEnvironment:")
			for _, e := range env {
				fmt.Fprintf(out, "  %s\n    \t%s\n", e.name, e.doc)
			}
		}
	}
	return fs
}

// parse parses args; it returns the exit code to stop with, or -1 to go on.
func parse(fs *flag.FlagSet, args []string) int {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	return -1
}

// kv collects repeated key=value flags.
type kv []string

func (k *kv) String() string { return strings.Join(*k, ",") }

func (k *kv) Set(v string) error {
	if !strings.Contains(v, "=") {
		return fmt.Errorf("want key=value, not %q", v)
	}
	*k = append(*k, v)
	return nil
}

// list collects a repeated flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }
