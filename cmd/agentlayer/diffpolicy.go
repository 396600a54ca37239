package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/agentlayer/agentlayer/internal/enginemodel"

	"gopkg.in/yaml.v3"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
)

const diffPolicyHelp = `
Compares two policy files over the same model, data and users: for each
user, the tables and columns the new policy grants or takes away, the
masks that change, the row rules that change (the rule as bound for the
user, old and new, with the rows it lets through), and the aggregate
grants that change (their rows and minimum group size) — what a reviewer
of a policy change needs to see. With no --model, it compares over the
built-in sample --sample names.

The users are the directory's (--users), and the claim sets of --claims,
a YAML file of users as tokens name them, for teams whose groups come from
their identity provider:

  users:
    - {email: ca@example.com, groups: [sales], attributes: {state: CA}}

Exit status: 0 when no user sees anything else, 1 when one does (as diff
does), 2 on an error or a usage mistake. --json writes the report as JSON
(docs/policies.md gives its schema). --sample-rows lists, per user and
table, up to 5 keys of the rows gained and lost: off by default, since
keys in a CI log are data.`

// userView is what one user sees under one policy.
type userView struct {
	columns map[string][]string // table → its columns, own and related, by name
	masks   map[string]string   // TABLE.FIELD → mask, for masked columns
	rows    map[string]int64    // table → rows counted
	rules   map[string]string   // table → its row rule as bound, in words
	agg     map[string]string   // table → its aggregate grant, in words
	keys    map[string][]string // table → the keys of its rows, with --sample-rows
}

// diffUser is the JSON of one user's changes.
type diffUser struct {
	Email   string       `json:"email"`
	Changes []diffChange `json:"changes"`
}

// diffChange is one change a user sees, in the report's JSON: a table or
// column gained or lost, or a mask, row rule, aggregate grant or row
// count changed.
type diffChange struct {
	Kind   string   `json:"kind"` // table, column, mask, rows, aggregate, count
	Change string   `json:"change"`
	Table  string   `json:"table"`
	Column string   `json:"column,omitempty"`
	Old    string   `json:"old,omitempty"`
	New    string   `json:"new,omitempty"`
	Gained []string `json:"gained_keys,omitempty"`
	Lost   []string `json:"lost_keys,omitempty"`
}

// diffReport is diff-policy's JSON.
type diffReport struct {
	Old     string     `json:"old"`
	New     string     `json:"new"`
	Users   int        `json:"users"`
	Changed []diffUser `json:"changed"`
}

// exitStatus ends a command with a code of its own, after its message.
type exitStatus struct {
	code int
	err  error
}

func (e *exitStatus) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func (e *exitStatus) Unwrap() error { return e.err }

func diffPolicy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	err := runDiffPolicy(ctx, args, stdout, stderr)
	switch err.(type) {
	case nil, *exitStatus:
		return err
	case *usageError:
		return err
	}
	return &exitStatus{code: 2, err: err} // an error is not "they differ"
}

func runDiffPolicy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := &serveFlags{}
	fs := newFlags("diff-policy", "agentlayer diff-policy [--model FILE --db … --users FILE --claims FILE] OLD.yaml NEW.yaml", diffPolicyHelp, nil, stdout)
	f.modelFlags.register(fs, true)
	fs.StringVar(&f.usersFile, "users", "", "user directory `file` (default: the sample's users when comparing over a sample)")
	claimsFile := fs.String("claims", "", "a YAML `file` of claim sets (users: [{email, groups, attributes}]) to compare for, besides the directory's users")
	asJSON := fs.Bool("json", false, "write the report as JSON")
	sampleRows := fs.Bool("sample-rows", false, "list up to 5 keys of the rows each user gains and loses, per table (keys are data: off by default)")
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
	users, err := diffUsers(f, *claimsFile)
	if err != nil {
		return err
	}
	if len(users) == 0 {
		return usagef("diff-policy needs users to compare for: --users, or --claims")
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
		opts.MaxRows = sampleKeysAtMost // every key, for --sample-rows
		e, err := engine.New(ctx, opts)
		if err != nil {
			return err
		}
		views[i], err = viewsOf(ctx, e, users, *sampleRows)
		e.Close()
		if err != nil {
			return err
		}
	}
	report := diffReport{Old: fs.Arg(0), New: fs.Arg(1), Users: len(users), Changed: []diffUser{}}
	for _, p := range users {
		changes := diffViews(views[0][p.Email], views[1][p.Email])
		if len(changes) > 0 {
			report.Changed = append(report.Changed, diffUser{Email: p.Email, Changes: changes})
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(report)
	} else {
		for _, u := range report.Changed {
			fmt.Fprintf(stdout, "%s\n", u.Email)
			for _, c := range u.Changes {
				fmt.Fprintf(stdout, "  %s\n", c.words())
			}
		}
		fmt.Fprintf(stdout, "%d of %d users see something else\n", len(report.Changed), len(users))
	}
	if len(report.Changed) > 0 {
		return &exitStatus{code: 1}
	}
	return nil
}

// sampleKeysAtMost bounds the keys of a table compared per user.
const sampleKeysAtMost = 1_000_000

// diffUsers are the users to compare for: the directory's active users,
// then the claim sets of the claims file.
func diffUsers(f *serveFlags, claimsFile string) ([]*auth.Principal, error) {
	var out []*auth.Principal
	dir, err := f.directory()
	if err != nil {
		return nil, err
	}
	if dir != nil {
		for _, u := range dir.Users() {
			if u.Active {
				out = append(out, &auth.Principal{Email: u.Email, Groups: u.Groups, Attributes: u.Attributes})
			}
		}
	}
	if claimsFile == "" {
		return out, nil
	}
	data, err := os.ReadFile(claimsFile)
	if err != nil {
		return nil, err
	}
	var file struct {
		Users []caseClaims `yaml:"users"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("%s: %w", claimsFile, err)
	}
	for i, c := range file.Users {
		if strings.TrimSpace(c.Email) == "" {
			return nil, fmt.Errorf("%s: users[%d] has no email", claimsFile, i)
		}
		out = append(out, &auth.Principal{Email: c.Email, Groups: c.Groups, Attributes: c.Attributes})
	}
	return out, nil
}

// viewsOf is what each user sees under e's policy.
func viewsOf(ctx context.Context, e *engine.Engine, users []*auth.Principal, sampleRows bool) (map[string]userView, error) {
	out := map[string]userView{}
	for _, p := range users {
		info, err := e.Context(ctx, p)
		if err != nil {
			return nil, err
		}
		v := userView{columns: map[string][]string{}, masks: map[string]string{}, rows: map[string]int64{},
			rules: map[string]string{}, agg: map[string]string{}, keys: map[string][]string{}}
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
			for _, r := range d.Restrictions {
				if r.Aggregate != nil {
					v.agg[t.Name] = r.Text
				} else {
					v.rules[t.Name] = r.Text
				}
			}
			if v.rows[t.Name], err = countRows(ctx, e, p, t.ID); err != nil {
				return nil, err
			}
			if sampleRows {
				if v.keys[t.Name], err = keysOf(ctx, e, p, t.ID); err != nil {
					return nil, err
				}
			}
		}
		out[p.Email] = v
	}
	return out, nil
}

// countRows counts the rows of a table a user reads (under an aggregate
// grant, those its groups count; -1 when the count is refused).
func countRows(ctx context.Context, e *engine.Engine, p *auth.Principal, table int) (int64, error) {
	rows, err := e.Query(ctx, p, &engine.Request{TableID: table, Aggregations: []engine.Aggregation{{Function: "count"}}})
	if err != nil {
		return -1, nil
	}
	defer rows.Close()
	var n int64
	if rows.Next() {
		n, _ = rows.Row()[0].(int64)
	}
	return n, rows.Err()
}

// keysOf lists the keys of the rows a user reads in detail (their primary
// key, or every visible column), sorted; nil when there are none to read.
func keysOf(ctx context.Context, e *engine.Engine, p *auth.Principal, table int) ([]string, error) {
	t := enginemodel.Of(e).Table(table)
	req := &engine.Request{TableID: table, Limit: sampleKeysAtMost}
	for _, f := range t.Fields {
		if f.SemanticType == "type/PK" {
			req.Fields = []engine.RequestField{{FieldID: f.Name}}
		}
	}
	rows, err := e.Query(ctx, p, req)
	if err != nil {
		return nil, nil // no detail rows for this user
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		data, _ := json.Marshal(rows.Row())
		out = append(out, strings.Trim(string(data), "[]"))
	}
	slices.Sort(out)
	return out, rows.Err()
}

func maskWords(m string) string {
	if m == "" {
		return "true values"
	}
	return "masked " + m
}

// words is a change as one line: + gained, - lost, ~ changed.
func (c diffChange) words() string {
	sign := map[string]string{"gained": "+", "lost": "-", "changed": "~"}[c.Change]
	switch c.Kind {
	case "table":
		if c.Change == "gained" {
			return fmt.Sprintf("+ table %s (%s)", c.Table, c.New)
		}
		return "- table " + c.Table
	case "column":
		return fmt.Sprintf("%s column %s.%s", sign, c.Table, c.Column)
	case "mask":
		return fmt.Sprintf("~ column %s.%s: %s → %s", c.Table, c.Column, c.Old, c.New)
	case "rows", "aggregate":
		s := fmt.Sprintf("~ %s of %s: %s → %s", map[string]string{"rows": "row rule", "aggregate": "aggregate grant"}[c.Kind], c.Table, c.Old, c.New)
		if len(c.Gained) > 0 {
			s += "\n    gained: " + strings.Join(c.Gained, ", ")
		}
		if len(c.Lost) > 0 {
			s += "\n    lost: " + strings.Join(c.Lost, ", ")
		}
		return s
	}
	return fmt.Sprintf("~ table %s: %s rows → %s", c.Table, c.Old, c.New)
}

// diffViews lists what changed from a to b: tables and columns gained or
// lost, masks, row rules, aggregate grants and row counts changed.
func diffViews(a, b userView) []diffChange {
	var out []diffChange
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
			out = append(out, diffChange{Kind: "table", Change: "gained", Table: t, New: fmt.Sprintf("%d columns, %d rows", len(cb), b.rows[t])})
			continue
		case !inB:
			out = append(out, diffChange{Kind: "table", Change: "lost", Table: t})
			continue
		}
		for _, c := range cb {
			if !slices.Contains(ca, c) {
				out = append(out, diffChange{Kind: "column", Change: "gained", Table: t, Column: c})
			}
		}
		for _, c := range ca {
			if !slices.Contains(cb, c) {
				out = append(out, diffChange{Kind: "column", Change: "lost", Table: t, Column: c})
			}
		}
		for _, c := range cb {
			name := t + "." + c
			if ma, mb := a.masks[name], b.masks[name]; slices.Contains(ca, c) && ma != mb {
				out = append(out, diffChange{Kind: "mask", Change: "changed", Table: t, Column: c, Old: maskWords(ma), New: maskWords(mb)})
			}
		}
		gained, lost := sample(a.keys[t], b.keys[t])
		if a.rules[t] != b.rules[t] || len(gained)+len(lost) > 0 {
			out = append(out, diffChange{Kind: "rows", Change: "changed", Table: t, Old: ruleWords(a.rules[t], a.rows[t]), New: ruleWords(b.rules[t], b.rows[t]),
				Gained: gained, Lost: lost})
		}
		if a.agg[t] != b.agg[t] {
			out = append(out, diffChange{Kind: "aggregate", Change: "changed", Table: t, Old: orNone(a.agg[t]), New: orNone(b.agg[t])})
		}
		if a.rules[t] == b.rules[t] && a.rows[t] != b.rows[t] {
			out = append(out, diffChange{Kind: "count", Change: "changed", Table: t, Old: fmt.Sprint(a.rows[t]), New: fmt.Sprint(b.rows[t])})
		}
	}
	return out
}

// ruleWords is a row rule's words and the rows it lets through.
func ruleWords(rule string, rows int64) string {
	if rule == "" {
		rule = "every row"
	}
	return fmt.Sprintf("%s (%d rows)", rule, rows)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// sample lists up to 5 keys gained (in b, not a) and lost (in a, not b);
// both lists are sorted.
func sample(a, b []string) (gained, lost []string) {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j >= len(b) || (i < len(a) && a[i] < b[j]):
			if len(lost) < 5 {
				lost = append(lost, a[i])
			}
			i++
		case i >= len(a) || b[j] < a[i]:
			if len(gained) < 5 {
				gained = append(gained, b[j])
			}
			j++
		default:
			i++
			j++
		}
	}
	return gained, lost
}
