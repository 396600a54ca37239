package pgwire

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/agentlayer/agentlayer/sqlfront"
)

// reportedSettings are sent to a client when it connects (ParameterStatus):
// what drivers read before their first statement.
var reportedSettings = []string{"server_version", "server_encoding", "client_encoding", "DateStyle",
	"TimeZone", "integer_datetimes", "standard_conforming_strings", "application_name", "IntervalStyle",
	"is_superuser", "session_authorization", "default_transaction_read_only", "in_hot_standby"}

// defaultSettings are a session's settings, with what the client's startup
// message set among those it may set.
func defaultSettings(startup map[string]string) map[string]string {
	s := map[string]string{
		"server_version": ServerVersion, "server_version_num": "150000", "server_encoding": "UTF8",
		"client_encoding": "UTF8", "datestyle": "ISO, MDY", "timezone": "UTC", "integer_datetimes": "on",
		"standard_conforming_strings": "on", "application_name": "", "intervalstyle": "postgres",
		"is_superuser": "off", "default_transaction_read_only": "on", "transaction_read_only": "on",
		"in_hot_standby": "off", "extra_float_digits": "1", "search_path": `"$user", public`,
		"statement_timeout": "0", "client_min_messages": "notice", "bytea_output": "hex",
		"lc_messages": "C", "max_identifier_length": "63", "transaction_isolation": "read committed",
		"default_transaction_isolation": "read committed",
	}
	for k, v := range startup {
		k = strings.ToLower(k)
		if _, ok := settable[k]; ok {
			s[k] = v
		}
	}
	s["session_authorization"] = startup["user"]
	return s
}

// settable are the settings a client may set, each with what it accepts
// (nil: anything).
var settable = map[string]func(string) bool{
	"application_name": nil, "extra_float_digits": nil, "search_path": nil, "client_min_messages": nil,
	"datestyle": func(v string) bool { return strings.HasPrefix(strings.ToUpper(v), "ISO") },
	"client_encoding": func(v string) bool {
		return slices.Contains([]string{"utf8", "unicode", "utf-8"}, strings.ToLower(strings.Trim(v, "'")))
	},
	"timezone":                    func(v string) bool { _, err := time.LoadLocation(v); return err == nil },
	"statement_timeout":           nil, // checked against the server's (timeout)
	"intervalstyle":               nil,
	"bytea_output":                nil,
	"standard_conforming_strings": func(v string) bool { return strings.EqualFold(v, "on") },
	"lc_messages":                 nil,
	"default_transaction_read_only": func(v string) bool {
		return strings.EqualFold(v, "on") || strings.EqualFold(v, "true")
	},
	"default_transaction_isolation": nil, "transaction_isolation": nil, "idle_in_transaction_session_timeout": nil,
	"lock_timeout": nil, "jit": nil, "geqo": nil, "enable_seqscan": nil, "join_collapse_limit": nil,
}

// set answers SET and RESET.
func (c *conn) set(v *pg.VariableSetStmt) error {
	name := strings.ToLower(v.GetName())
	switch name {
	case "role", "session_authorization", "session authorization":
		return &sqlfront.Error{Code: "42501", Message: "permission denied to set " + name}
	case "transaction", "session characteristics":
		return nil // read-only transactions: every transaction is one
	}
	if strings.HasPrefix(name, "agentlayer.") {
		return &sqlfront.Error{Code: "42501", Message: fmt.Sprintf("permission denied to set parameter %q", name),
			Hint: "the caller's attributes come from their token"}
	}
	if v.GetKind() == pg.VariableSetKind_VAR_RESET_ALL {
		return nil
	}
	check, ok := settable[name]
	if !ok {
		return &sqlfront.Error{Code: "42704", Message: fmt.Sprintf("unrecognized configuration parameter %q", name)}
	}
	if v.GetKind() == pg.VariableSetKind_VAR_RESET || v.GetKind() == pg.VariableSetKind_VAR_SET_DEFAULT {
		c.settings[name] = defaultSettings(nil)[name]
		return c.applied(name)
	}
	var parts []string
	for _, a := range v.GetArgs() {
		parts = append(parts, constText(a))
	}
	value := strings.Join(parts, ", ")
	if check != nil && !check(value) {
		return &sqlfront.Error{Code: "22023", Message: fmt.Sprintf("invalid value for parameter %q: %q", name, value)}
	}
	if name == "statement_timeout" {
		if _, err := parseTimeout(value); err != nil {
			return &sqlfront.Error{Code: "22023", Message: fmt.Sprintf("invalid value for parameter %q: %q", name, value)}
		}
	}
	c.settings[name] = value
	return c.applied(name)
}

// applied makes a setting take effect, and reports the ones drivers track.
func (c *conn) applied(name string) error {
	switch name {
	case "timezone":
		loc, err := time.LoadLocation(c.settings[name])
		if err == nil {
			c.zone = loc
		}
		c.be.Send(&pgproto3.ParameterStatus{Name: "TimeZone", Value: c.settings[name]})
	case "application_name", "datestyle", "client_encoding", "intervalstyle":
		for _, r := range reportedSettings {
			if strings.EqualFold(r, name) {
				c.be.Send(&pgproto3.ParameterStatus{Name: r, Value: c.settings[name]})
			}
		}
	}
	return nil
}

func constText(n *pg.Node) string {
	if c := n.GetAConst(); c != nil {
		switch {
		case c.GetSval() != nil:
			return c.GetSval().GetSval()
		case c.GetIval() != nil:
			return strconv.Itoa(int(c.GetIval().GetIval()))
		case c.GetFval() != nil:
			return c.GetFval().GetFval()
		case c.GetBoolval() != nil:
			return strconv.FormatBool(c.GetBoolval().GetBoolval())
		}
	}
	if tc := n.GetTypeCast(); tc != nil {
		return constText(tc.GetArg())
	}
	return ""
}

// parseTimeout reads statement_timeout: milliseconds, or a number with a
// unit (30s, 1min).
func parseTimeout(v string) (time.Duration, error) {
	v = strings.TrimSpace(strings.Trim(v, "'"))
	if ms, err := strconv.Atoi(v); err == nil {
		return time.Duration(ms) * time.Millisecond, nil
	}
	for unit, d := range map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "min": time.Minute, "h": time.Hour} {
		if n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(v, unit))); err == nil && strings.HasSuffix(v, unit) {
			return time.Duration(n) * d, nil
		}
	}
	return 0, fmt.Errorf("not a duration: %q", v)
}

// timeout is the session's statement_timeout; 0 for none (the engine's
// own applies, which it can only lower).
func (c *conn) timeout() time.Duration {
	d, _ := parseTimeout(c.settings["statement_timeout"])
	return d
}

// show answers SHOW: one setting, or ALL.
func (c *conn) show(name string) ([]column, [][]any, error) {
	name = strings.ToLower(name)
	if name == "all" {
		var rows [][]any
		keys := make([]string, 0, len(c.settings))
		for k := range c.settings {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			rows = append(rows, []any{k, c.settings[k], ""})
		}
		return []column{{name: "name"}, {name: "setting"}, {name: "description"}}, rows, nil
	}
	if name == "time zone" {
		name = "timezone"
	}
	if name == "transaction isolation level" {
		name = "transaction_isolation"
	}
	v, ok := c.settings[name]
	if !ok {
		return nil, nil, &sqlfront.Error{Code: "42704", Message: fmt.Sprintf("unrecognized configuration parameter %q", name)}
	}
	return []column{{name: name}}, [][]any{{v}}, nil
}
