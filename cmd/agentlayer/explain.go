package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/permissions"
	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen"
)

const explainHelp = `
Prints how a construct request (the body of POST /api/agent/v1/construct-query)
is planned: the logical query, the row filters, the result columns, and the
SQL with its bound parameters. Nothing is run.

With no --model, explains against the built-in sample model and policy. With
--as-email (and --group, --attr), it plans as that user would be: it names the
policies that apply and shows the row filters they add; otherwise it plans
with full access. A request read from - comes from standard input.`

func explain(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("explain", "agentlayer explain --request FILE.json [flags]", explainHelp, nil, stdout)
	requestFile := fs.String("request", "", "construct request `file` (JSON), or - for standard input (required)")
	modelFile := fs.String("model", "", "semantic model `file`, its fields' types declared (default: the sample model)")
	zone := fs.String("time-zone", "UTC", "report time `zone` (IANA name)")
	weekStart := fs.String("week-start", "sunday", "first `day` of week buckets")
	policyFile := fs.String("policy", "", "policy `file` (default: the sample policy with the sample model)")
	email := fs.String("as-email", "", "plan as the user with this `email`")
	var groups list
	fs.Var(&groups, "group", "a `group` of that user (repeatable)")
	var attrs kv
	fs.Var(&attrs, "attr", "an attribute of that user as `key=value` (repeatable)")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if *requestFile == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	var data []byte
	var err error
	if *requestFile == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(*requestFile)
	}
	if err != nil {
		fmt.Fprintf(stderr, "explain: %v\n", err)
		return 1
	}
	opts := sqlgen.Options{}
	if opts.TimeZone, err = time.LoadLocation(*zone); err != nil {
		fmt.Fprintf(stderr, "explain: --time-zone: %v\n", err)
		return 2
	}
	if opts.WeekStart, err = weekday(*weekStart); err != nil {
		fmt.Fprintf(stderr, "explain: --week-start: %v\n", err)
		return 2
	}
	var m *semantic.Model
	if *modelFile == "" {
		m, err = semantic.Parse(fixtures.ModelFile, fixtures.Model(), semantic.Options{})
	} else {
		m, err = semantic.Load(*modelFile, semantic.Options{})
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	c, err := sqlgen.NewCatalog(m)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	var access sqlgen.Access = sqlgen.FullAccess{}
	if *email != "" {
		var ps *permissions.Policies
		switch {
		case *policyFile != "":
			ps, err = permissions.Load(*policyFile, m, permissions.Options{})
		case *modelFile == "":
			ps, err = permissions.Compile(fixtures.PolicyFile, fixtures.Policy(), m, permissions.Options{})
		default:
			err = errors.New("explain: --as-email needs --policy")
		}
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		p := &auth.Principal{Email: *email, Groups: groups, Attributes: map[string]any{}}
		for _, a := range attrs {
			k, v, _ := strings.Cut(a, "=")
			p.Attributes[k] = v
		}
		g := ps.For(p)
		fmt.Fprintf(stdout, "as %s: policies %s\n", *email, strings.Join(append([]string{}, g.Applied...), ", "))
		if len(g.Applied) == 0 {
			fmt.Fprintln(stdout, "as "+*email+": no policy applies; the user sees nothing")
		}
		access = g
	}
	req, err := sqlgen.ParseRequest(data)
	if err == nil {
		var q *sqlgen.Query
		if q, err = sqlgen.Compile(c, access, req); err == nil {
			var p *sqlgen.Plan
			if p, err = q.Plan(c, access, opts); err == nil {
				fmt.Fprint(stdout, p)
				return 0
			}
		}
	}
	var serr *sqlgen.Error
	if errors.As(err, &serr) && serr.Path != "" {
		fmt.Fprintf(stderr, "%s: %s\n", serr.Path, serr.Message)
	} else {
		fmt.Fprintln(stderr, err)
	}
	return 1
}

func weekday(s string) (time.Weekday, error) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if equalFold(d.String(), s) {
			return d, nil
		}
	}
	return 0, fmt.Errorf("%q is not a day of the week", s)
}

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }
