package main

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
)

const diffPolicyHelp = `
Compares two policy files over the same model, data and user directory:
for each user of the directory, the tables and columns the new policy
grants or takes away, and the tables whose row count changes — what a
reviewer of a policy change needs to see. With no --model, it compares
over the built-in sample --sample names.`

// userView is what one user sees under one policy: tables, their columns,
// and their row counts.
type userView struct {
	columns map[string][]string
	masks   map[string]string // TABLE.FIELD → mask, for masked columns
	rows    map[string]int64
}

func diffPolicy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := &serveFlags{}
	fs := newFlags("diff-policy", "agentlayer diff-policy [--model FILE --db … --users FILE] OLD.yaml NEW.yaml", diffPolicyHelp, nil, stdout)
	f.modelFlags.register(fs, true)
	fs.StringVar(&f.usersFile, "users", "", "user directory `file` (default: the sample's users when comparing over a sample)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return usagef("")
	}
	if err := f.modelFlags.check(explicitFlags(fs)); err != nil {
		return err
	}
	dir, err := f.directory()
	if err != nil {
		return err
	}
	if dir == nil {
		return usagef("diff-policy needs --users: the users to compare for")
	}
	log, _ := newLogger("error", stderr)
	views := make([]map[string]userView, 2)
	for i, file := range []string{fs.Arg(0), fs.Arg(1)} {
		f.policy = file
		opts, err := f.engineOptions(log)
		if err != nil {
			return err
		}
		opts.ReadOnly = f.dbFile != ""
		e, err := engine.New(ctx, opts)
		if err != nil {
			return err
		}
		views[i], err = viewsOf(ctx, e, dir)
		e.Close()
		if err != nil {
			return err
		}
	}
	changed, active := 0, 0
	for _, u := range dir.Users() {
		if !u.Active {
			continue
		}
		active++
		lines := diffViews(views[0][u.Email], views[1][u.Email])
		if len(lines) == 0 {
			continue
		}
		changed++
		fmt.Fprintf(stdout, "%s\n", u.Email)
		for _, l := range lines {
			fmt.Fprintf(stdout, "  %s\n", l)
		}
	}
	fmt.Fprintf(stdout, "%d of %d users see something else\n", changed, active)
	return nil
}

// viewsOf is what each active user of dir sees under e's policy.
func viewsOf(ctx context.Context, e *engine.Engine, dir *auth.Directory) (map[string]userView, error) {
	out := map[string]userView{}
	for _, u := range dir.Users() {
		if !u.Active {
			continue
		}
		p := &auth.Principal{Email: u.Email, Groups: u.Groups, Attributes: u.Attributes}
		info, err := e.Context(ctx, p)
		if err != nil {
			return nil, err
		}
		v := userView{columns: map[string][]string{}, masks: map[string]string{}, rows: map[string]int64{}}
		for _, t := range info.Tables {
			d, err := e.Table(ctx, p, t.ID, engine.TableOptions{Fields: true})
			if err != nil {
				return nil, err
			}
			for _, fl := range d.Fields {
				v.columns[t.Name] = append(v.columns[t.Name], fl.Name)
				if fl.Masked != "" {
					v.masks[t.Name+"."+fl.Name] = fl.Masked
				}
			}
			rows, err := e.Query(ctx, p, &engine.Request{TableID: t.ID, Aggregations: []engine.Aggregation{{Function: "count"}}})
			if err != nil {
				return nil, err
			}
			if rows.Next() {
				if n, ok := rows.Row()[0].(int64); ok {
					v.rows[t.Name] = n
				}
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				return nil, err
			}
		}
		out[u.Email] = v
	}
	return out, nil
}

func maskWords(m string) string {
	if m == "" {
		return "true values"
	}
	return "masked " + m
}

// diffViews says what changed from a to b, in lines: tables and columns
// gained (+) or lost (-), row counts changed (~).
func diffViews(a, b userView) []string {
	var out []string
	tables := map[string]bool{}
	for t := range a.columns {
		tables[t] = true
	}
	for t := range b.columns {
		tables[t] = true
	}
	names := make([]string, 0, len(tables))
	for t := range tables {
		names = append(names, t)
	}
	slices.Sort(names)
	for _, t := range names {
		ca, inA := a.columns[t]
		cb, inB := b.columns[t]
		switch {
		case !inA:
			out = append(out, fmt.Sprintf("+ table %s (%d columns, %d rows)", t, len(cb), b.rows[t]))
			continue
		case !inB:
			out = append(out, fmt.Sprintf("- table %s", t))
			continue
		}
		for _, c := range cb {
			if !slices.Contains(ca, c) {
				out = append(out, fmt.Sprintf("+ column %s.%s", t, c))
			}
		}
		for _, c := range ca {
			if !slices.Contains(cb, c) {
				out = append(out, fmt.Sprintf("- column %s.%s", t, c))
			}
		}
		for _, c := range cb {
			name := t + "." + c
			if ma, mb := a.masks[name], b.masks[name]; slices.Contains(ca, c) && ma != mb {
				out = append(out, fmt.Sprintf("~ column %s: %s → %s", name, maskWords(ma), maskWords(mb)))
			}
		}
		if a.rows[t] != b.rows[t] {
			out = append(out, fmt.Sprintf("~ table %s: %d rows → %d", t, a.rows[t], b.rows[t]))
		}
	}
	return out
}
