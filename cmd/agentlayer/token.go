package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/agentlayer/agentlayer/auth"
)

const tokenHelp = `
Mints a JWT signed with the configured shared secret and prints it alone, so
that it can be used in place:

  curl -H "Authorization: Bearer $(agentlayer token --email analyst@example.com)" \
    localhost:3000/api/agent/v1/ping

The token is valid for 180 s from now (the Agent API refuses older ones).
With the sample user directory, an email alone gives that persona's groups
and attributes.`

func token(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("token", "agentlayer token --email EMAIL [flags]", tokenHelp, []envVar{secretEnv}, stdout)
	email := fs.String("email", "", "the user's `email` (required)")
	first := fs.String("first-name", "", "first_name claim")
	last := fs.String("last-name", "", "last_name claim")
	var groups list
	fs.Var(&groups, "group", "a `group` of the user (repeatable)")
	var attrs kv
	fs.Var(&attrs, "attr", "a user attribute as `key=value`, a string (repeatable)")
	scope := fs.String("scope", "", "space-separated scopes, e.g. \"agent:*\" (default: no scope claim, unrestricted)")
	expires := fs.Duration("expires-in", 0, "add an exp claim this long after now (default: none)")
	secretFile := fs.String("jwt-secret-file", "", "`file` holding the JWT shared secret (default: $AGENTLAYER_JWT_SECRET)")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if *email == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	secret, err := readKey(*secretFile, secretEnv.name)
	if err != nil {
		fmt.Fprintf(stderr, "token: %v\n", err)
		return 1
	}
	if secret == "" {
		fmt.Fprintf(stderr, "token: no JWT secret: set %s or pass --jwt-secret-file\n", secretEnv.name)
		return 1
	}
	c := auth.Claims{Email: *email, FirstName: *first, LastName: *last, Groups: groups, Scope: *scope, IssuedAt: time.Now(), ExpiresIn: *expires}
	if len(attrs) > 0 {
		c.Attributes = map[string]any{}
		for _, a := range attrs {
			k, v, _ := strings.Cut(a, "=")
			c.Attributes[k] = v
		}
	}
	tok, err := auth.Sign([]byte(secret), c)
	if err != nil {
		fmt.Fprintf(stderr, "token: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, tok)
	return 0
}
