package main

import (
	"context"
	"fmt"
	"io"
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

func token(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("token", "agentlayer token --email EMAIL [flags]", tokenHelp, []envVar{secretEnv}, stdout)
	var u principalFlags
	u.register(fs, "email", "the user's `email` (required)")
	first := fs.String("first-name", "", "first_name claim")
	last := fs.String("last-name", "", "last_name claim")
	scope := fs.String("scope", "", "space-separated scopes, e.g. \"agent:*\" (default: no scope claim, unrestricted)")
	expires := fs.Duration("expires-in", 0, "add an exp claim this long after now (default: none)")
	secretFile := fs.String("jwt-secret-file", "", "`file` holding the JWT shared secret (default: $AGENTLAYER_JWT_SECRET)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if u.email == "" || fs.NArg() > 0 {
		fs.Usage()
		return usagef("")
	}
	secret, err := readKey(*secretFile, secretEnv.name)
	if err != nil {
		return err
	}
	if secret == "" {
		return fmt.Errorf("no JWT secret: set %s or pass --jwt-secret-file", secretEnv.name)
	}
	c := auth.Claims{Email: u.email, FirstName: *first, LastName: *last, Groups: u.groups, Scope: *scope, IssuedAt: time.Now(), ExpiresIn: *expires}
	if len(u.attrs) > 0 {
		c.Attributes = u.attributes()
	}
	tok, err := auth.Sign([]byte(secret), c)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
