package celsql_test

import (
	"regexp"
	"strings"
	"testing"

	"cel.dev/cel-go/cel"

	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen/celsql"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// FuzzCEL feeds arbitrary expressions to the CEL → SQL translator, as a
// row rule of ORDERS with a user: whatever the text, no panic; an
// expression that checks either translates, and binds for several users
// into SQL whose only literals are this package's constants (every value
// of the expression or the user a bound parameter), or is refused with
// positioned problems.
func FuzzCEL(f *testing.F) {
	for _, seed := range []string{
		`row.USER.STATE == user.attributes.state`,
		`row.TOTAL > 100.0 && !(row.DISCOUNT == null)`,
		`row.CREATED_AT >= timestamp("2024-01-01T00:00:00Z") || row.PRODUCT.CATEGORY in ["Widget", "Gizmo"]`,
		`user.attributes.states.exists(s, row.USER.STATE == s)`,
		`row.QUANTITY * 2 + 1 < 9223372036854775807 && row.ID % 3 == 0`,
		`row.USER.NAME.startsWith("A") && row.USER.EMAIL.matches("^[a-z]+@")`,
		`size(row.PRODUCT.TITLE) > 3 || row.PRODUCT.TITLE.contains("x' OR 1=1 --")`,
		`"admin" in user.groups || row.USER_ID == user.attributes.uid`,
		`row.TOTAL != row.SUBTOTAL + row.TAX`,
		`row.CREATED_AT - row.USER.CREATED_AT > duration("24h")`,
	} {
		f.Add(seed)
	}
	m, err := semantic.Load("../../fixtures/sample/model.yaml", semantic.Options{})
	if err != nil {
		f.Fatal(err)
	}
	orders := m.TableByName("ORDERS")
	env, err := orders.Env().Extend(
		cel.Variable("user.email", cel.StringType),
		cel.Variable("user.groups", cel.ListType(cel.StringType)),
		cel.Variable("user.attributes", cel.MapType(cel.StringType, cel.DynType)),
	)
	if err != nil {
		f.Fatal(err)
	}
	users := []map[string]any{
		{"user.email": "a@example.com", "user.groups": []string{"admin"}, "user.attributes": map[string]any{}},
		{"user.email": "s@example.com", "user.groups": []string{"sales"}, "user.attributes": map[string]any{
			"state": "TX", "states": []any{"TX", "CA"}, "uid": int64(7)}},
		{"user.email": "o'hara@example.com", "user.groups": []string{}, "user.attributes": map[string]any{
			"state": "x' OR 1=1 --", "states": []any{int64(1), 2.5, "z"}, "uid": "7"}},
	}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > semantic.CELMaxLength {
			return
		}
		checked, problems := semantic.CheckExpr(orders, env, src, semantic.Span{}, "user")
		if checked == nil {
			if len(problems) == 0 {
				t.Fatal("refused without a problem")
			}
			return
		}
		filter, probs := celsql.Compile(orders, env, checked, nil)
		if filter == nil {
			if len(probs) == 0 {
				t.Fatal("not translated, without a problem")
			}
			return
		}
		for _, u := range users {
			e, _ := filter.Bind(u)
			sqlText, _ := sqlast.Render(sqlast.DuckDB{}, e, orders, "t")
			for _, lit := range stringLiterals(sqlText) {
				if lit != "'UTC'" {
					t.Fatalf("literal %s in the SQL of %q:\n%s", lit, src, sqlText)
				}
			}
		}
	})
}

// stringLiterals lists the single-quoted literals of SQL text.
func stringLiterals(sqlText string) []string {
	var out []string
	for _, tok := range sqlToken.FindAllString(sqlText, -1) {
		if strings.HasPrefix(tok, "'") {
			out = append(out, tok)
		}
	}
	return out
}

// sqlToken is a token of SQL text: a quoted identifier or string, a
// placeholder, a number, a word or another character.
var sqlToken = regexp.MustCompile(`"(?:[^"]|"")*"|'(?:[^']|'')*'|\$\d+|\d+(?:\.\d+)?|[A-Za-z_][A-Za-z_0-9]*|\S`)
