package agentapi

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgsample"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

// sampleServer serves the sample dataset at scale 1 with its policy and
// user directory, as agentlayer serve does.
var sampleServer = sync.OnceValues(func() (*e2e, error) {
	var db *sql.DB
	opts := sampleOptions()
	opts.Setup = func(ctx context.Context, d *sql.DB) error { db = d; return fixtures.Generate(ctx, d, 1) }
	e, err := engine.New(context.Background(), opts)
	if err != nil {
		return nil, err
	}
	h, err := sampleHandler(e)
	if err != nil {
		return nil, err
	}
	return &e2e{srv: httptest.NewServer(h), e: e, db: db}, nil
})

// sampleOptions are the engine options of the sample's model and policy.
func sampleOptions() engine.Options {
	return engine.Options{ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(),
		PolicyFile: fixtures.PolicyFile, PolicyYAML: fixtures.Policy()}
}

// sampleHandler is the Agent API over e, with the sample's user directory
// and the tests' JWT secret.
func sampleHandler(e *engine.Engine) (http.Handler, error) {
	dir, err := auth.ParseDirectory(fixtures.UsersFile, fixtures.Users())
	if err != nil {
		return nil, err
	}
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: testSecret, Directory: dir})
	if err != nil {
		return nil, err
	}
	return New(e, Options{Verifier: v}), nil
}

type e2e struct {
	srv *httptest.Server
	e   *engine.Engine
	db  *sql.DB // the engine's, for SQL written by hand
}

func server(t *testing.T) *e2e {
	t.Helper()
	s, err := sampleServer()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// pgServers are the sample served from PostgreSQL (pgtest.Sample), by URL.
var pgServers sync.Map

// pgServer is server with the queries running on PostgreSQL over the same
// rows; its db is still DuckDB's, where the hand-written SQL runs.
func pgServer(t *testing.T) *e2e {
	t.Helper()
	return pgServerAt(t, pgsample.Sample(t))
}

// pgServerAt is pgServer on the sample at url.
func pgServerAt(t *testing.T, url string) *e2e {
	t.Helper()
	if s, ok := pgServers.Load(url); ok {
		return s.(*e2e)
	}
	duck := server(t)
	opts := sampleOptions()
	opts.Database = url
	e, err := engine.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	h, err := sampleHandler(e)
	if err != nil {
		t.Fatal(err)
	}
	s, loaded := pgServers.LoadOrStore(url, &e2e{srv: httptest.NewServer(h), e: e, db: duck.db})
	if loaded {
		e.Close()
	}
	return s.(*e2e)
}

// eachDatabase runs f with the sample served from DuckDB, then from
// PostgreSQL.
func eachDatabase(t *testing.T, f func(t *testing.T, s *e2e)) {
	t.Run("DuckDB", func(t *testing.T) { f(t, server(t)) })
	t.Run("PostgreSQL", func(t *testing.T) { f(t, pgServer(t)) })
}

// persona is a user of the sample policy and what the policy gives them.
type persona struct {
	name   string
	claims jwt.MapClaims
	// What the persona sees of each table: "all", "tx" (rows of Texas) or
	// "" (nothing).
	orders, people, products, reviews string
	// peopleHidden are the PEOPLE fields the persona cannot see at all;
	// peopleTX those it sees on Texan rows only.
	peopleHidden, peopleTX []string
	reviewerHidden         bool
}

var personas = []persona{
	{name: "admin", claims: jwt.MapClaims{"email": "admin@example.com"}, orders: "all", people: "all", products: "all", reviews: "all"},
	{name: "analyst", claims: jwt.MapClaims{"email": "analyst@example.com"}, orders: "all", people: "all", products: "all", reviews: "all",
		peopleHidden: []string{"ADDRESS", "EMAIL", "PASSWORD", "BIRTH_DATE"}},
	{name: "sales", claims: jwt.MapClaims{"email": "sales.tx@example.com"}, orders: "tx", people: "tx", products: "all",
		peopleHidden: []string{"EMAIL", "PASSWORD"}},
	{name: "product", claims: jwt.MapClaims{"email": "product@example.com"}, products: "all", reviews: "all", reviewerHidden: true},
	{name: "nobody", claims: jwt.MapClaims{"email": "nobody@example.com"}},
	{name: "sales+product", claims: jwt.MapClaims{"email": "mixed1@example.com", "groups": []string{"sales", "product"}, "state": "TX"},
		orders: "tx", people: "tx", products: "all", reviews: "all", peopleHidden: []string{"EMAIL", "PASSWORD"}, reviewerHidden: true},
	{name: "analyst+sales", claims: jwt.MapClaims{"email": "mixed2@example.com", "groups": []string{"analyst", "sales"}, "state": "TX"},
		orders: "all", people: "all", products: "all", reviews: "all", peopleHidden: []string{"EMAIL", "PASSWORD"}, peopleTX: []string{"ADDRESS", "BIRTH_DATE"}},
}

func (p persona) header(t *testing.T) map[string]string {
	c := jwt.MapClaims{"iat": time.Now().Unix()}
	for k, v := range p.claims {
		c[k] = v
	}
	return map[string]string{"Authorization": "Bearer " + hs256(t, c)}
}

func (p persona) sees(field string) bool {
	return !slices.Contains(p.peopleHidden, field)
}

// expect is what a request must answer for a persona: a status, and for
// success the rows of hand-written SQL (or the values of check).
type expect struct {
	status int
	sql    string     // the rows of this hand-written SQL
	rows   [][]string // or these
}

func status(s int) expect { return expect{status: s} }

func rowsOf(query string) expect { return expect{status: 200, sql: query} }

// names expects one row per name.
func names(ns ...string) expect {
	e := expect{status: 200, rows: [][]string{}}
	for _, n := range ns {
		e.rows = append(e.rows, []string{n})
	}
	return e
}

// fieldQuery is the answer to a query of a table that reads field: 403
// without the table, 404 where the field is hidden, else the rows of all —
// or of tx, when given, for a persona who sees the field only in Texas.
func fieldQuery(p persona, table, field, all, tx string) expect {
	switch {
	case table == "":
		return status(403)
	case !p.sees(field):
		return status(404)
	case tx != "" && (slices.Contains(p.peopleTX, field) || p.people == "tx"):
		return rowsOf(tx)
	}
	return rowsOf(all)
}

// where restricts a table's rows as the policy does for a persona.
func ordersWhere(p persona, alias ...string) string {
	if p.orders == "tx" {
		return qualify(alias) + "USER_ID IN (SELECT ID FROM PEOPLE WHERE STATE = 'TX')"
	}
	return "TRUE"
}

func peopleWhere(p persona, alias ...string) string {
	if p.people == "tx" {
		return qualify(alias) + "STATE = 'TX'"
	}
	return "TRUE"
}

func qualify(alias []string) string {
	if len(alias) == 0 {
		return ""
	}
	return alias[0] + "."
}

// tableOrForbidden is the usual expectation: 403 without the table, else
// the SQL built for the persona.
func tableOrForbidden(p persona, table string, build func(persona) string) expect {
	if table == "" {
		return status(403)
	}
	return rowsOf(build(p))
}

type matrixCase struct {
	name   string
	path   string // POST bodies go to /v1/query; GET paths are read as they are
	body   string
	expect func(p persona) expect
	// check reads the answer: rows of a query, values of field values,
	// names of a detail or a search.
	check string
}

const (
	checkRows   = "rows"
	checkValues = "values"
	checkCounts = "value_counts"
	checkFields = "fields"
	checkSearch = "search"
)

func matrixCases() []matrixCase {
	q := "/api/agent/v1/query"
	return []matrixCase{
		{name: "search orders", path: "/api/agent/v1/search", body: `{"term_queries":["orders"]}`, check: checkSearch, expect: func(p persona) expect {
			if p.orders == "" {
				return names()
			}
			return names("table:ORDERS", "metric:Orders", "metric:Revenue", "metric:Discounts")
		}},
		{name: "search reviews", path: "/api/agent/v1/search", body: `{"term_queries":["review ratings"]}`, check: checkSearch, expect: func(p persona) expect {
			var found []string
			if p.reviews != "" {
				found = append(found, "table:REVIEWS", "metric:Average rating")
			}
			if p.products != "" {
				found = append(found, "table:PRODUCTS")
			}
			return names(found...)
		}},
		{name: "people detail", path: "/api/agent/v1/table/2", check: checkFields, expect: func(p persona) expect {
			if p.people == "" {
				return status(403)
			}
			var fields []string
			for _, f := range []string{"ID", "ADDRESS", "EMAIL", "PASSWORD", "NAME", "CITY", "LONGITUDE", "STATE", "SOURCE", "BIRTH_DATE", "ZIP", "LATITUDE", "CREATED_AT"} {
				if p.sees(f) {
					fields = append(fields, f)
				}
			}
			return names(fields...)
		}},
		{name: "reviews detail", path: "/api/agent/v1/table/4", check: checkFields, expect: func(p persona) expect {
			if p.reviews == "" {
				return status(403)
			}
			if p.reviewerHidden {
				return names("ID", "PRODUCT_ID", "RATING", "BODY", "CREATED_AT")
			}
			return names("ID", "PRODUCT_ID", "REVIEWER", "RATING", "BODY", "CREATED_AT")
		}},
		{name: "unknown table", path: "/api/agent/v1/table/999999", check: checkFields, expect: func(p persona) expect { return status(404) }},
		{name: "metric revenue", path: "/api/agent/v1/metric/1", check: checkFields, expect: func(p persona) expect {
			if p.orders == "" {
				return status(403)
			}
			return rowsOf("SELECT 'ok'")
		}},
		{name: "metric average rating", path: "/api/agent/v1/metric/3", check: checkFields, expect: func(p persona) expect {
			if p.reviews == "" {
				return status(403)
			}
			return rowsOf("SELECT 'ok'")
		}},
		{name: "values of people.state", path: "/api/agent/v1/table/2/field/t2-7/values?limit=100", check: checkValues, expect: func(p persona) expect {
			return tableOrForbidden(p, p.people, func(p persona) string {
				return "SELECT DISTINCT STATE FROM PEOPLE WHERE " + peopleWhere(p) + " ORDER BY 1"
			})
		}},
		{name: "value counts of people.source", path: "/api/agent/v1/table/2/field/t2-8/values?limit=3", check: checkCounts, expect: func(p persona) expect {
			return tableOrForbidden(p, p.people, func(p persona) string {
				return "SELECT SOURCE, count(*) FROM PEOPLE WHERE SOURCE IS NOT NULL AND " + peopleWhere(p) + " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3"
			})
		}},
		{name: "value counts of orders' customer state", path: "/api/agent/v1/table/1/field/t1-16/values?limit=4", check: checkCounts, expect: func(p persona) expect {
			return tableOrForbidden(p, p.orders, func(p persona) string {
				return "SELECT p.STATE, count(*) FROM ORDERS o JOIN PEOPLE p ON p.ID = o.USER_ID WHERE " + ordersWhere(p, "o") + " AND " + peopleWhere(p, "p") + " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 4"
			})
		}},
		{name: "values of a hidden email", path: "/api/agent/v1/table/2/field/t2-2/values?limit=3", check: checkValues, expect: func(p persona) expect {
			return fieldQuery(p, p.people, "EMAIL",
				"SELECT EMAIL FROM (SELECT EMAIL, count(*) n FROM PEOPLE GROUP BY 1 ORDER BY n DESC, 1 LIMIT 3) ORDER BY 1",
				"")
		}},
		{name: "values of orders' customer state", path: "/api/agent/v1/table/1/field/t1-16/values?limit=100", check: checkValues, expect: func(p persona) expect {
			return tableOrForbidden(p, p.orders, func(p persona) string {
				return "SELECT DISTINCT p.STATE FROM ORDERS o JOIN PEOPLE p ON p.ID = o.USER_ID WHERE " + ordersWhere(p, "o") + " AND " + peopleWhere(p, "p") + " ORDER BY 1"
			})
		}},
		{name: "values of a metric dimension", path: "/api/agent/v1/metric/1/field/c1-16/values?limit=100", check: checkValues, expect: func(p persona) expect {
			return tableOrForbidden(p, p.orders, func(p persona) string {
				return "SELECT DISTINCT p.STATE FROM ORDERS o JOIN PEOPLE p ON p.ID = o.USER_ID WHERE " + ordersWhere(p, "o") + " AND " + peopleWhere(p, "p") + " ORDER BY 1"
			})
		}},
		{name: "values of a hidden reviewer", path: "/api/agent/v1/table/4/field/t4-2/values?limit=2", check: checkValues, expect: func(p persona) expect {
			switch {
			case p.reviews == "":
				return status(403)
			case p.reviewerHidden:
				return status(404)
			}
			return rowsOf("SELECT REVIEWER FROM (SELECT REVIEWER, count(*) n FROM REVIEWS GROUP BY 1 ORDER BY n DESC, 1 LIMIT 2) ORDER BY 1")
		}},
		{name: "values of ratings", path: "/api/agent/v1/table/4/field/t4-3/values", check: checkValues, expect: func(p persona) expect {
			return tableOrForbidden(p, p.reviews, func(persona) string { return "SELECT DISTINCT RATING FROM REVIEWS ORDER BY 1" })
		}},
		{name: "count orders", path: q, body: `{"table_id":1,"aggregations":[{"function":"count"}]}`, check: checkRows, expect: func(p persona) expect {
			return tableOrForbidden(p, p.orders, func(p persona) string { return "SELECT count(*) FROM ORDERS WHERE " + ordersWhere(p) })
		}},
		{name: "revenue by customer state", path: q, body: `{"table_id":1,"aggregations":[{"function":"sum","field_id":"t1-5"}],"group_by":[{"field_id":"t1-16"}]}`, check: checkRows, expect: func(p persona) expect {
			return tableOrForbidden(p, p.orders, func(p persona) string {
				return "SELECT p.STATE, sum(o.TOTAL) FROM ORDERS o LEFT JOIN PEOPLE p ON p.ID = o.USER_ID AND " + peopleWhere(p, "p") + " WHERE " + ordersWhere(p, "o") + " GROUP BY 1 ORDER BY 1 NULLS LAST"
			})
		}},
		{name: "count people", path: q, body: `{"table_id":2,"aggregations":[{"function":"count"}]}`, check: checkRows, expect: func(p persona) expect {
			return tableOrForbidden(p, p.people, func(p persona) string { return "SELECT count(*) FROM PEOPLE WHERE " + peopleWhere(p) })
		}},
		{name: "people with addresses", path: q, body: `{"table_id":2,"fields":[{"field_id":"t2-0"},{"field_id":"t2-4"},{"field_id":"t2-1"}],"limit":5}`, check: checkRows, expect: func(p persona) expect {
			return fieldQuery(p, p.people, "ADDRESS",
				"SELECT ID, NAME, ADDRESS FROM PEOPLE ORDER BY ID LIMIT 5",
				"SELECT ID, NAME, ADDRESS FROM PEOPLE WHERE STATE = 'TX' ORDER BY ID LIMIT 5")
		}},
		{name: "people names", path: q, body: `{"table_id":2,"fields":[{"field_id":"t2-0"},{"field_id":"t2-4"}],"limit":5}`, check: checkRows, expect: func(p persona) expect {
			return tableOrForbidden(p, p.people, func(p persona) string {
				return "SELECT ID, NAME FROM PEOPLE WHERE " + peopleWhere(p) + " ORDER BY ID LIMIT 5"
			})
		}},
		{name: "filter on a hidden email", path: q, body: `{"table_id":2,"filters":[{"field_id":"t2-2","operation":"string-contains","value":"a"}],"aggregations":[{"function":"count"}]}`, check: checkRows, expect: func(p persona) expect {
			return fieldQuery(p, p.people, "EMAIL",
				"SELECT count(*) FROM PEOPLE WHERE contains(lower(EMAIL), 'a')",
				"")
		}},
		{name: "group by a hidden password", path: q, body: `{"table_id":2,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"t2-3"}],"limit":2}`, check: checkRows, expect: func(p persona) expect {
			return fieldQuery(p, p.people, "PASSWORD",
				"SELECT PASSWORD, count(*) FROM PEOPLE GROUP BY 1 ORDER BY 1 LIMIT 2",
				"")
		}},
		{name: "order by a hidden birth date", path: q, body: `{"table_id":2,"fields":[{"field_id":"t2-0"}],"order_by":[{"field":{"field_id":"t2-9"}}],"limit":3}`, check: checkRows, expect: func(p persona) expect {
			return fieldQuery(p, p.people, "BIRTH_DATE",
				"SELECT ID FROM PEOPLE ORDER BY BIRTH_DATE NULLS LAST, ID LIMIT 3",
				"SELECT ID FROM PEOPLE WHERE STATE = 'TX' ORDER BY BIRTH_DATE NULLS LAST, ID LIMIT 3")
		}},
		{name: "distinct hidden emails", path: q, body: `{"table_id":2,"aggregations":[{"function":"count-distinct","field_id":"t2-2"}]}`, check: checkRows, expect: func(p persona) expect {
			return fieldQuery(p, p.people, "EMAIL",
				"SELECT count(DISTINCT EMAIL) FROM PEOPLE",
				"")
		}},
		{name: "orders joined to a hidden email", path: q, body: `{"table_id":1,"fields":[{"field_id":"t1-0"},{"field_id":"t1-11"}],"limit":3}`, check: checkRows, expect: func(p persona) expect {
			return fieldQuery(p, p.orders, "EMAIL",
				"SELECT o.ID, p.EMAIL FROM ORDERS o LEFT JOIN PEOPLE p ON p.ID = o.USER_ID ORDER BY o.ID LIMIT 3",
				"")
		}},
		{name: "orders joined to names", path: q, body: `{"table_id":1,"fields":[{"field_id":"t1-0"},{"field_id":"t1-13"}],"limit":4}`, check: checkRows, expect: func(p persona) expect {
			return tableOrForbidden(p, p.orders, func(p persona) string {
				return "SELECT o.ID, p.NAME FROM ORDERS o LEFT JOIN PEOPLE p ON p.ID = o.USER_ID AND " + peopleWhere(p, "p") + " WHERE " + ordersWhere(p, "o") + " ORDER BY o.ID LIMIT 4"
			})
		}},
		{name: "orders of Californians", path: q, body: `{"table_id":1,"filters":[{"field_id":"t1-16","operation":"equals","value":"CA"}],"aggregations":[{"function":"count"}]}`, check: checkRows, expect: func(p persona) expect {
			return tableOrForbidden(p, p.orders, func(p persona) string {
				return "SELECT count(*) FROM ORDERS o JOIN PEOPLE p ON p.ID = o.USER_ID AND " + peopleWhere(p, "p") + " WHERE " + ordersWhere(p, "o") + " AND p.STATE = 'CA'"
			})
		}},
		{name: "average rating by category", path: q, body: `{"table_id":4,"aggregations":[{"function":"avg","field_id":"t4-3"}],"group_by":[{"field_id":"t4-9"}]}`, check: checkRows, expect: func(p persona) expect {
			return tableOrForbidden(p, p.reviews, func(persona) string {
				return "SELECT p.CATEGORY, avg(r.RATING) FROM REVIEWS r LEFT JOIN PRODUCTS p ON p.ID = r.PRODUCT_ID GROUP BY 1 ORDER BY 1 NULLS LAST"
			})
		}},
		{name: "critical reviews", path: q, body: `{"table_id":4,"filters":[{"segment_id":4}],"aggregations":[{"function":"count"}]}`, check: checkRows, expect: func(p persona) expect {
			return tableOrForbidden(p, p.reviews, func(persona) string { return "SELECT count(*) FROM REVIEWS WHERE RATING <= 2" })
		}},
		{name: "organic signups", path: q, body: `{"table_id":2,"filters":[{"segment_id":3}],"aggregations":[{"function":"count"}]}`, check: checkRows, expect: func(p persona) expect {
			return tableOrForbidden(p, p.people, func(p persona) string {
				return "SELECT count(*) FROM PEOPLE WHERE SOURCE = 'Organic' AND " + peopleWhere(p)
			})
		}},
		{name: "large orders", path: q, body: `{"table_id":1,"filters":[{"segment_id":1}],"aggregations":[{"function":"sum","field_id":"t1-5"}]}`, check: checkRows, expect: func(p persona) expect {
			return tableOrForbidden(p, p.orders, func(p persona) string {
				return "SELECT sum(TOTAL) FROM ORDERS WHERE TOTAL > 100 AND " + ordersWhere(p)
			})
		}},
		{name: "revenue by year", path: q, body: `{"metric_id":1,"group_by":[{"field_id":"c1-7","field_granularity":"year"}]}`, check: checkRows, expect: func(p persona) expect {
			return tableOrForbidden(p, p.orders, func(p persona) string {
				return "SELECT date_trunc('year', CREATED_AT), sum(TOTAL) FROM ORDERS WHERE " + ordersWhere(p) + " GROUP BY 1 ORDER BY 1"
			})
		}},
		{name: "orders by source", path: q, body: `{"metric_id":2,"group_by":[{"field_id":"c2-17"}]}`, check: checkRows, expect: func(p persona) expect {
			return tableOrForbidden(p, p.orders, func(p persona) string {
				return "SELECT p.SOURCE, count(*) FROM ORDERS o LEFT JOIN PEOPLE p ON p.ID = o.USER_ID AND " + peopleWhere(p, "p") + " WHERE " + ordersWhere(p, "o") + " GROUP BY 1 ORDER BY 1 NULLS LAST"
			})
		}},
		{name: "average rating", path: q, body: `{"metric_id":3}`, check: checkRows, expect: func(p persona) expect {
			return tableOrForbidden(p, p.reviews, func(persona) string { return "SELECT avg(RATING) FROM REVIEWS" })
		}},
		{name: "gross revenue measure", path: q, body: `{"table_id":1,"aggregations":[{"measure_id":1}]}`, check: checkRows, expect: func(p persona) expect {
			return tableOrForbidden(p, p.orders, func(p persona) string { return "SELECT sum(TOTAL) FROM ORDERS WHERE " + ordersWhere(p) })
		}},
		{name: "first orders", path: q, body: `{"table_id":1,"fields":[{"field_id":"t1-0"},{"field_id":"t1-5"}],"limit":5}`, check: checkRows, expect: func(p persona) expect {
			return tableOrForbidden(p, p.orders, func(p persona) string {
				return "SELECT ID, TOTAL FROM ORDERS WHERE " + ordersWhere(p) + " ORDER BY ID LIMIT 5"
			})
		}},
		{name: "products by category", path: q, body: `{"table_id":3,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"t3-3"}]}`, check: checkRows, expect: func(p persona) expect {
			return tableOrForbidden(p, p.products, func(persona) string { return "SELECT CATEGORY, count(*) FROM PRODUCTS GROUP BY 1 ORDER BY 1" })
		}},
		{name: "reviews count", path: q, body: `{"table_id":4,"aggregations":[{"function":"count"}]}`, check: checkRows, expect: func(p persona) expect {
			return tableOrForbidden(p, p.reviews, func(persona) string { return "SELECT count(*) FROM REVIEWS" })
		}},
		{name: "people born in the eighties", path: q, body: `{"table_id":2,"filters":[{"field_id":"t2-9","operation":"greater-than-or-equal","value":"1980"},{"field_id":"t2-9","operation":"less-than","value":"1990"}],"aggregations":[{"function":"count"}]}`, check: checkRows, expect: func(p persona) expect {
			return fieldQuery(p, p.people, "BIRTH_DATE",
				"SELECT count(*) FROM PEOPLE WHERE year(BIRTH_DATE) BETWEEN 1980 AND 1989",
				"SELECT count(*) FROM PEOPLE WHERE STATE = 'TX' AND year(BIRTH_DATE) BETWEEN 1980 AND 1989")
		}},
		{name: "texan customers by city", path: q, body: `{"table_id":2,"filters":[{"field_id":"t2-7","operation":"equals","value":"TX"}],"aggregations":[{"function":"count"}],"group_by":[{"field_id":"t2-5"}]}`, check: checkRows, expect: func(p persona) expect {
			return tableOrForbidden(p, p.people, func(persona) string {
				return "SELECT CITY, count(*) FROM PEOPLE WHERE STATE = 'TX' GROUP BY 1 ORDER BY 1"
			})
		}},
		{name: "discounted orders", path: q, body: `{"table_id":1,"filters":[{"segment_id":2}],"aggregations":[{"function":"count"},{"function":"avg","field_id":"t1-6"}]}`, check: checkRows, expect: func(p persona) expect {
			return tableOrForbidden(p, p.orders, func(p persona) string {
				return "SELECT count(*), round(avg(DISCOUNT), 2) FROM ORDERS WHERE DISCOUNT > 0 AND " + ordersWhere(p) // DISCOUNT is in dollars: 2 decimals
			})
		}},
		{name: "reviews of gadgets", path: q, body: `{"table_id":4,"filters":[{"field_id":"t4-9","operation":"equals","value":"Gadget"}],"fields":[{"field_id":"t4-0"},{"field_id":"t4-3"}],"limit":5}`, check: checkRows, expect: func(p persona) expect {
			return tableOrForbidden(p, p.reviews, func(persona) string {
				return "SELECT r.ID, r.RATING FROM REVIEWS r JOIN PRODUCTS p ON p.ID = r.PRODUCT_ID WHERE p.CATEGORY = 'Gadget' ORDER BY r.ID LIMIT 5"
			})
		}},
		{name: "ping", path: "/api/agent/v1/ping", check: checkFields, expect: func(p persona) expect { return rowsOf("SELECT 'ok'") }},
	}
}

// TestPersonaMatrix runs every request of the matrix as every persona of
// the sample policy, and the unions sales+product and analyst+sales: each
// answers its expected status, and rows equal to hand-written SQL.
func TestPersonaMatrix(t *testing.T) {
	t.Parallel()
	eachDatabase(t, personaMatrix)
	t.Run("sharded PostgreSQL", func(t *testing.T) {
		c := pgsample.StartSharded(t, 2, 1)
		s := pgServerAt(t, c.URL())
		t.Cleanup(func() {
			pgServers.Delete(c.URL())
			s.srv.Close()
			s.e.Close()
		})
		personaMatrix(t, s)
	})
}

func personaMatrix(t *testing.T, s *e2e) {
	cases := matrixCases()
	if len(cases) < 40 {
		t.Fatalf("%d requests, want at least 40", len(cases))
	}
	for _, p := range personas {
		for _, c := range cases {
			t.Run(p.name+"/"+c.name, func(t *testing.T) {
				want := c.expect(p)
				method := "GET"
				if c.body != "" {
					method = "POST"
				}
				got := call(t, method, s.srv.URL+c.path, p.header(t), c.body)
				okStatus := want.status == 200 && (got.status == 200 || got.status == 202)
				if !okStatus && got.status != want.status {
					t.Fatalf("status %d, want %d: %s", got.status, want.status, got.body)
				}
				if want.status != 200 {
					return
				}
				gotRows := answerRows(t, c.check, got.body)
				wantRows := want.rows
				if want.sql != "" {
					wantRows = handRows(t, s.db, want.sql)
				}
				if c.check == checkSearch {
					// Ranked by score; which results, not their order, is checked.
					slices.SortFunc(wantRows, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
				}
				if d := testkit.DiffRows(gotRows, wantRows); d != "" {
					t.Errorf("%s\ngot  %v\nwant %v", d, gotRows, wantRows)
				}
			})
		}
	}
}

// answerRows reads the rows of an answer, as strings.
func answerRows(t *testing.T, check, body string) [][]string {
	t.Helper()
	var out [][]string
	switch check {
	case checkRows:
		var r struct {
			Status string `json:"status"`
			Error  string `json:"error"`
			Data   struct{ Rows [][]any }
		}
		if err := json.Unmarshal([]byte(body), &r); err != nil || r.Status != "completed" {
			t.Fatalf("answer %s (%v)", body, err)
		}
		for _, row := range r.Data.Rows {
			out = append(out, testkit.CanonRow(row))
		}
	case checkValues:
		var r struct{ Values []any }
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		for _, v := range r.Values {
			out = append(out, testkit.CanonRow([]any{v}))
		}
	case checkCounts:
		var r struct {
			ValueCounts [][2]any `json:"value_counts"`
			Truncated   *bool
		}
		if err := json.Unmarshal([]byte(body), &r); err != nil || r.Truncated == nil {
			t.Fatalf("value counts %s (%v)", body, err)
		}
		for _, v := range r.ValueCounts {
			out = append(out, testkit.CanonRow(v[:]))
		}
	case checkSearch:
		var r struct{ Data []struct{ Type, Name string } }
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		for _, d := range r.Data {
			out = append(out, []string{d.Type + ":" + d.Name})
		}
		slices.SortFunc(out, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	case checkFields:
		var r struct {
			Fields []struct{ Name string }
		}
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		if r.Fields == nil {
			return [][]string{{"ok"}}
		}
		for _, f := range r.Fields {
			out = append(out, []string{f.Name})
		}
	}
	return out
}

func handRows(t *testing.T, db *sql.DB, query string) [][]string {
	t.Helper()
	rows, err := testkit.Rows(db, query)
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	return rows
}
