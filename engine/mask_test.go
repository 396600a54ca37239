package engine_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

// maskKey is the tests' hash key: a hash is the HMAC-SHA256 of the value
// under it, to 16 hex digits.
var maskKey = []byte("a mask key shared by the processes")

// person is a PEOPLE row's true values, read around the engine.
type person struct {
	id                               int64
	email, name, address, zip, city  string
	state                            string
	birth                            *time.Time
	lat                              float64
	nameNull, addressNull, emailNull bool
}

// masked is what the support persona (state TX) must see of p, by the
// sample policy's masks, computed here in Go.
func (p person) masked() []string {
	hash := func(s string) string {
		mac := hmac.New(sha256.New, maskKey)
		mac.Write([]byte(s))
		return hex.EncodeToString(mac.Sum(nil))[:16]
	}
	domain := p.email[strings.Index(p.email, "@")+1:]
	city := "***"
	if p.state == "TX" {
		city = p.city
	}
	birth := "NULL"
	if p.birth != nil {
		birth = time.Date(p.birth.Year(), 1, 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
	}
	return []string{fmt.Sprint(p.id), domain, "***", birth, hash(p.address), p.zip[len(p.zip)-4:], fmt.Sprint(math.Round(p.lat)), "NULL", city}
}

// TestMasks_everywhere: the support persona of the sample sees masked
// values of PEOPLE — email domains, redacted names, birth years, hashed
// addresses, the last four of zips, rounded latitudes, no longitudes, and
// cities only in their own state — exactly as computed here from the true
// values, on DuckDB and PostgreSQL, wherever it reaches them: selected,
// grouped, filtered (a probe by a true value finds nothing), sorted,
// counted distinct, in field values and statistics, through a join; and
// the rows each query keeps are those of the true values' rules.
func TestMasks_everywhere(t *testing.T) {
	pair := samplePair(t, engine.Options{MaskKey: maskKey})
	ctx := context.Background()
	support := &auth.Principal{Email: "support@example.com", Groups: []string{"support"}, Attributes: map[string]any{"state": "TX"}}
	for _, e := range []*engine.Engine{pair.duck, pair.pg} {
		name := "DuckDB"
		if e == pair.pg {
			name = "PostgreSQL"
		}
		t.Run(name, func(t *testing.T) {
			people := truePeople(t, pair.duck) // the first 2,000, the detail row cap
			const first2000 = `{"field_id":"ID","operation":"less-than-or-equal","value":2000}`
			query := func(req string) [][]string {
				t.Helper()
				a := answerOf(ctx, e, support, []byte(req))
				if a.err != "" {
					t.Fatalf("%s: %s", req, a.err)
				}
				return a.rows
			}
			// Selected, row by row.
			got := query(`{"table_id":2,"fields":[{"field_id":"ID"},{"field_id":"EMAIL"},{"field_id":"NAME"},{"field_id":"BIRTH_DATE"},{"field_id":"ADDRESS"},{"field_id":"ZIP"},{"field_id":"LATITUDE"},{"field_id":"LONGITUDE"},{"field_id":"CITY"}],"order_by":[{"field":{"field_id":"ID"}}],"limit":2000}`)
			var want [][]string
			for _, p := range people[:2000] {
				want = append(want, p.masked())
			}
			if d := testkit.DiffRows(got, want); d != "" {
				t.Errorf("selected: %s", d)
			}
			// Grouped by a masked value, through a join too.
			domains := map[string]int{}
			for _, p := range people {
				domains[p.masked()[1]]++
			}
			var wantGroups [][]string
			for d, n := range domains {
				wantGroups = append(wantGroups, []string{d, fmt.Sprint(n)})
			}
			slices.SortFunc(wantGroups, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
			if d := testkit.DiffRows(query(`{"table_id":2,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"EMAIL"}],"filters":[`+first2000+`]}`), wantGroups); d != "" {
				t.Errorf("grouped by EMAIL: %s", d)
			}
			joined := query(`{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"USER.EMAIL"}]}`)
			for _, r := range joined {
				if strings.Contains(r[0], "@") {
					t.Errorf("an order's customer email through the join: %v", r)
				}
			}
			// Filtered: by a true value, nothing; by a masked value, its rows.
			probe := people[0].email
			if rows := query(`{"table_id":2,"aggregations":[{"function":"count"}],"filters":[{"field_id":"EMAIL","operation":"equals","value":"` + probe + `"}]}`); rows[0][0] != "0" {
				t.Errorf("a probe by a true email found %s rows", rows[0][0])
			}
			if rows := query(`{"table_id":2,"aggregations":[{"function":"count"}],"filters":[{"field_id":"NAME","operation":"string-contains","value":"` + people[0].name[:3] + `"}]}`); rows[0][0] != "0" {
				t.Errorf("a probe by part of a true name found %s rows", rows[0][0])
			}
			d := people[0].masked()[1]
			if rows := query(`{"table_id":2,"aggregations":[{"function":"count"}],"filters":[` + first2000 + `,{"field_id":"EMAIL","operation":"equals","value":"` + d + `"}]}`); rows[0][0] != fmt.Sprint(domains[d]) {
				t.Errorf("filtered by the domain %s: %s rows, want %d", d, rows[0][0], domains[d])
			}
			// Counted distinct, sorted.
			if rows := query(`{"table_id":2,"aggregations":[{"function":"count-distinct","field_id":"NAME"}]}`); rows[0][0] != "1" {
				t.Errorf("distinct redacted names: %v", rows)
			}
			sorted := query(`{"table_id":2,"fields":[{"field_id":"CITY"}],"order_by":[{"field":{"field_id":"CITY"},"direction":"desc"}],"limit":1}`)
			if sorted[0][0] != "***" && !isTexanCity(people, sorted[0][0]) {
				t.Errorf("sorted by city, first: %v", sorted)
			}
			// Field values and statistics are of the masked values.
			fv, err := e.FieldValues(ctx, support, engine.FieldRef{TableID: 2, FieldID: "EMAIL"}, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range fv.Values {
				if strings.Contains(fmt.Sprint(v), "@") {
					t.Errorf("field values of EMAIL: %v", v)
				}
			}
			if fv.Statistics.DistinctCount != int64(len(domains)) {
				t.Errorf("distinct EMAIL values %d, want %d domains", fv.Statistics.DistinctCount, len(domains))
			}
			// Table detail says which fields are masked, and how.
			d2, err := e.Table(ctx, support, 2, engine.TableOptions{Fields: true})
			if err != nil {
				t.Fatal(err)
			}
			masks := map[string]string{}
			for _, f := range d2.Fields {
				masks[f.Name] = f.Masked
			}
			if masks["EMAIL"] != "email_domain" || masks["LATITUDE"] != "round(0)" || masks["STATE"] != "" {
				t.Errorf("detail masks %v", masks)
			}
		})
	}
}

func isTexanCity(people []person, city string) bool {
	for _, p := range people {
		if p.state == "TX" && p.city == city {
			return true
		}
	}
	return false
}

// truePeople reads PEOPLE's true values, as an admin sees them, in pages.
func truePeople(t *testing.T, e *engine.Engine) []person {
	t.Helper()
	ctx := context.Background()
	admin := &auth.Principal{Email: "admin@example.com", Groups: []string{"admin"}}
	q, err := e.Construct(ctx, admin, mustRequest(t,
		`{"table_id":2,"fields":[{"field_id":"ID"},{"field_id":"EMAIL"},{"field_id":"NAME"},{"field_id":"ADDRESS"},{"field_id":"ZIP"},{"field_id":"CITY"},{"field_id":"STATE"},{"field_id":"BIRTH_DATE"},{"field_id":"LATITUDE"}],"order_by":[{"field":{"field_id":"ID"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var out []person
	for offset := 0; offset < 10000; offset += 1000 {
		n := len(out)
		out = append(out, peoplePage(t, e, admin, q, offset)...)
		if len(out)-n < 1000 {
			break
		}
	}
	if len(out) < 2000 {
		t.Fatalf("%d people", len(out))
	}
	return out
}

func peoplePage(t *testing.T, e *engine.Engine, admin *auth.Principal, q *engine.Query, offset int) []person {
	q.Paging.Size = 1000
	rows, err := e.Page(context.Background(), admin, q, offset)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []person
	for rows.Next() {
		v := rows.Row()
		p := person{id: v[0].(int64), email: v[1].(string), name: v[2].(string), address: v[3].(string), zip: v[4].(string),
			city: v[5].(string), state: v[6].(string), lat: v[8].(float64)}
		if s, ok := v[7].(string); ok {
			b, err := time.Parse("2006-01-02", s[:10])
			if err == nil {
				p.birth = &b
			}
		}
		out = append(out, p)
	}
	return out
}

func mustRequest(t *testing.T, s string) *engine.Request {
	t.Helper()
	r, err := engine.ParseRequest([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestMasks_hashKey: the hash mask's key is at least 16 bytes; it changes
// every hash, and never the plan's fingerprint, which clients read.
func TestMasks_hashKey(t *testing.T) {
	if _, err := engine.New(context.Background(), engine.Options{ModelFile: "m.yaml", ModelYAML: []byte("version: 1\n"), MaskKey: []byte("short")}); err == nil || !strings.Contains(err.Error(), "MaskKey must be at least 16 bytes") {
		t.Errorf("a 5-byte key: %v", err)
	}
	support := &auth.Principal{Email: "support@example.com", Groups: []string{"support"}, Attributes: map[string]any{"state": "TX"}}
	read := func(key string) (string, string) {
		e := bufferEngine(t, engine.Options{MaskKey: []byte(key)})
		rows, err := e.Query(context.Background(), support, mustRequest(t, `{"table_id":2,"fields":[{"field_id":"ADDRESS"}],"limit":1}`))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		rows.Next()
		return fmt.Sprint(rows.Row()[0]), rows.Provenance.Plan
	}
	h1, p1 := read("the first key of sixteen bytes or more")
	h2, p2 := read("the second key of sixteen bytes or more")
	if h1 == h2 || p1 != p2 || len(h1) != 16 {
		t.Errorf("hashes %q and %q, fingerprints %q and %q: want other hashes, one fingerprint", h1, h2, p1, p2)
	}
}

// TestMasks_orderByNull: ordering by a field masked as NULL orders like
// any other (by nothing), on DuckDB and PostgreSQL, never a database
// error.
func TestMasks_orderByNull(t *testing.T) {
	pair := samplePair(t, engine.Options{})
	support := &auth.Principal{Email: "support@example.com", Groups: []string{"support"}, Attributes: map[string]any{"state": "TX"}}
	for _, e := range []*engine.Engine{pair.duck, pair.pg} {
		for _, req := range []string{
			`{"table_id":2,"fields":[{"field_id":"ID"},{"field_id":"LONGITUDE"}],"order_by":[{"field":{"field_id":"LONGITUDE"},"direction":"desc"}],"limit":5}`,
			`{"table_id":2,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"LONGITUDE"}]}`,
		} {
			a := answerOf(context.Background(), e, support, []byte(req))
			if a.err != "" || len(a.rows) == 0 {
				t.Errorf("%s: %v %s", req, a.rows, a.err)
			}
		}
	}
}
