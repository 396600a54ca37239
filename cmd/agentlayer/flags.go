package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/yamldoc"
)

type problem = yamldoc.Problem

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

// parse parses args: flag.ErrHelp after --help, a usage error (already
// printed by the flag package) for a bad flag.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{}
	}
	return nil
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

// modelFlags name a model, its policy and where its data live, and the
// settings of planning: what serve, explain and validate share.
type modelFlags struct {
	model, policy, dbFile, zone, weekStart string
	scale                                  float64
	sampleName                             string
	// sample is the built-in sample served when there is no --model.
	sample *fixtures.Sample
}

func (m *modelFlags) register(fs *flag.FlagSet, withScale bool) {
	fs.StringVar(&m.model, "model", "", "semantic model `file` (default: the built-in sample dataset --sample names)")
	fs.StringVar(&m.sampleName, "sample", fixtures.Shop.Name, "the built-in sample `dataset` without --model: shop ("+fixtures.Shop.Description+") or saas ("+fixtures.SaaS.Description+")")
	fs.StringVar(&m.policy, "policy", "", "policy `file`: who sees which tables, columns and rows (default: the sample's policy with the sample model; with a model and no policy, no user sees anything)")
	fs.StringVar(&m.dbFile, "db", "", "where the model's tables live: a DuckDB database `file`, or a PostgreSQL server's postgres:// URL")
	fs.StringVar(&m.zone, "time-zone", "", "report time `zone` for buckets, date filters and timestamps (default UTC)")
	fs.StringVar(&m.weekStart, "week-start", "sunday", "first `day` of week buckets")
	if withScale {
		fs.Float64Var(&m.scale, "scale", 1, "scale factor of the built-in sample dataset (1 ≈ 19k orders, 100 ≈ 1.9M), generated in memory; not with a PostgreSQL --db, which holds the sample already (agentlayer fixtures load)")
	}
}

// check validates the flags once parsed; explicit names the flags given.
func (m *modelFlags) check(explicit map[string]bool) error {
	if m.model == "" {
		s, err := fixtures.Lookup(m.sampleName)
		if err != nil {
			return usagef("--sample: %v", err)
		}
		m.sample = s
	}
	if m.sample == nil && explicit["scale"] {
		return usagef("--scale applies to the built-in sample dataset only")
	}
	if m.sample == nil && explicit["sample"] {
		return usagef("--sample and --model are exclusive: --sample serves a built-in dataset instead of a model")
	}
	if engine.IsPostgres(m.dbFile) && explicit["scale"] {
		return usagef("--scale: the sample on PostgreSQL is what agentlayer fixtures load --scale put there")
	}
	if _, err := weekday(m.weekStart); err != nil {
		return usagef("--week-start: %v", err)
	}
	return nil
}

// options are the engine's options for the model: the sample's, generated
// at --scale, without --model.
func (m *modelFlags) options() engine.Options {
	opts := engine.Options{ModelFile: m.model, PolicyFile: m.policy, Database: m.dbFile, TimeZone: m.zone}
	opts.WeekStart, _ = weekday(m.weekStart)
	if s := m.sample; s != nil {
		opts.ModelFile, opts.ModelYAML, opts.IDsYAML = s.ModelFile, s.Model(), s.IDs()
		if m.policy == "" {
			opts.PolicyFile, opts.PolicyYAML = s.PolicyFile, s.Policy()
		}
	}
	return opts
}

// explicitFlags names the flags given on the command line.
func explicitFlags(fs *flag.FlagSet) map[string]bool {
	out := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { out[f.Name] = true })
	return out
}

// principalFlags describe a user as a token would: an email, groups and
// attributes, each attribute read as a claim would arrive (JSON when it
// parses: --attr n=5 is the number 5).
type principalFlags struct {
	email  string
	groups list
	attrs  kv
}

func (u *principalFlags) register(fs *flag.FlagSet, emailFlag, emailDoc string) {
	fs.StringVar(&u.email, emailFlag, "", emailDoc)
	fs.Var(&u.groups, "group", "a `group` of the user (repeatable)")
	fs.Var(&u.attrs, "attr", "a user attribute as `key=value`; the value is read as JSON when it parses (5, true, [\"a\"]), else as text (repeatable)")
}

func (u *principalFlags) attributes() map[string]any {
	out := map[string]any{}
	for _, a := range u.attrs {
		k, v, _ := strings.Cut(a, "=")
		out[k] = auth.ParseAttribute(v)
	}
	return out
}

func (u *principalFlags) principal() *auth.Principal {
	return &auth.Principal{Email: strings.ToLower(u.email), Groups: u.groups, Attributes: u.attributes()}
}

func weekday(s string) (time.Weekday, error) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(d.String(), s) {
			return d, nil
		}
	}
	return 0, fmt.Errorf("%q is not a day of the week", s)
}

// subcommand parses the flags of a command whose first argument is one of
// names: done (and no error) after printing help for -h; a usage error for
// anything else.
func subcommand(fs *flag.FlagSet, args []string, names ...string) (done bool, err error) {
	if len(args) == 0 || !slices.Contains(names, args[0]) {
		fs.Usage()
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return true, nil
		}
		return true, usagef("")
	}
	if err := parse(fs, args[1:]); err != nil {
		return true, err
	}
	if fs.NArg() > 0 {
		return true, usagef("unexpected argument %q", fs.Arg(0))
	}
	return false, nil
}
