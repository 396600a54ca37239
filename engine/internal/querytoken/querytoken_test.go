package querytoken

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// TestSealOpen: a sealed query opens back into the request it came from,
// with the current ids, under the key or a previous one; a tampered token,
// another server's, or one naming what the model lost, does not.
func TestSealOpen(t *testing.T) {
	m, err := semantic.Parse(fixtures.ModelFile, fixtures.Model(), semantic.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := sqlgen.NewCatalog(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"table_id":1,"filters":[{"field_id":"t1-7","operation":"equals","values":["2024-03",2025]},{"segment_id":1}],` +
		`"aggregations":[{"measure_id":3,"sort_order":"desc"},{"function":"count"},{"function":"max","field_id":"t1-7","bucket":"month"}],` +
		`"group_by":[{"field_id":"t1-25"},{"field_id":"t1-7","field_granularity":"month"}],"order_by":[{"field":{"field_id":"t1-25"},"direction":"desc"}],"limit":7}`
	// The request's extensions: filters of filters, case, an order by an
	// aggregation with its NULLs.
	extended := `{"table_id":1,"filters":[{"or":[{"field_id":"t1-5","operation":"greater-than","value":100},` +
		`{"not":{"and":[{"field_id":"t1-26","operation":"string-contains","value":"Inc","case_sensitive":true},{"field_id":"t1-6","operation":"is-null"}]}}]}],` +
		`"aggregations":[{"function":"count"}],"group_by":[{"field_id":"t1-25"}],` +
		`"order_by":[{"aggregation":0,"direction":"desc","nulls":"first"},{"field":{"field_id":"t1-25"},"direction":"asc","nulls":"first"}],"limit":7}`
	for _, body := range []string{body, extended} {
		roundTrip(t, m, c, body)
	}
	req, err := sqlgen.ParseRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	q, err := sqlgen.Compile(c, sqlgen.FullAccess{}, req)
	if err != nil {
		t.Fatal(err)
	}
	_, keys := testKeys()
	tokenChecks(t, m, keys, q)
}

func testKeys() (old, keys Keys) {
	old, _ = NewKeys([]byte("an-older-key-0123456789"), nil)
	keys, _ = NewKeys([]byte("the-current-key-0123456789"), [][]byte{old[0]})
	return old, keys
}

// roundTrip: a sealed request opens back into itself, under the key or a
// previous one.
func roundTrip(t *testing.T, m *semantic.Model, c *sqlgen.Catalog, body string) {
	t.Helper()
	req, err := sqlgen.ParseRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	q, err := sqlgen.Compile(c, sqlgen.FullAccess{}, req)
	if err != nil {
		t.Fatal(err)
	}
	old, keys := testKeys()
	for _, k := range []Keys{keys, old} {
		tok, err := k.Seal(q, Position{Offset: 400, Limit: 7})
		if err != nil {
			t.Fatal(err)
		}
		p, err := keys.Open(tok)
		if err != nil {
			t.Fatal(err)
		}
		back, err := p.Request(m)
		if err != nil {
			t.Fatal(err)
		}
		if p.Offset != 400 || !reflect.DeepEqual(back, req) {
			t.Errorf("round trip:\n got %+v\nwant %+v", back, req)
		}
	}
}

// tokenChecks: a tampered token, another server's, or one naming what the
// model lost, does not open.
func tokenChecks(t *testing.T, m *semantic.Model, keys Keys, q *sqlgen.Query) {
	t.Helper()
	tok, _ := keys.Seal(q, Position{Limit: 7})
	raw, _ := base64.StdEncoding.DecodeString(tok)
	tampered := base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(raw), `"limit":7`, `"limit":8`, 1)))
	other, _ := NewKeys(nil, nil)
	var bad *Error
	for _, tt := range []struct{ token, want string }{
		{tampered, "signature"},
		{"not a token!", "not base64"},
		{base64.StdEncoding.EncodeToString([]byte(`{"v":2,"p":{},"s":""}`)), "version 2"},
	} {
		if _, err := keys.Open(tt.token); !errors.As(err, &bad) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open(%.20s…) = %v, want %q", tt.token, err, tt.want)
		}
	}
	if _, err := other.Open(tok); !errors.As(err, &bad) {
		t.Errorf("another server's token: %v", err)
	}
}

// TestSealOpen_metricSortAndNames: a metric's top-N keeps its sort through
// a token, and a request naming fields by name comes back with their ids.
func TestSealOpen_metricSortAndNames(t *testing.T) {
	m, err := semantic.Parse(fixtures.ModelFile, fixtures.Model(), semantic.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := sqlgen.NewCatalog(m, nil)
	keys, _ := NewKeys(nil, nil)
	for body, want := range map[string]string{
		`{"metric_id":1,"aggregations":[{"sort_order":"desc"}],"group_by":[{"field_id":"PRODUCT.TITLE"}],"limit":3}`:                                                                                       `{"metric_id":1,"aggregations":[{"sort_order":"desc"}],"group_by":[{"field_id":"c1-24"}],"limit":3}`,
		`{"table_id":1,"filters":[{"field_id":"User → State","operation":"equals","value":"TX"}],"aggregations":[{"function":"sum","field_id":"total"}]}`:                                                  `{"table_id":1,"filters":[{"field_id":"t1-16","operation":"equals","value":"TX"}],"aggregations":[{"field_id":"t1-5","function":"sum"}]}`,
		`{"table_id":1,"aggregations":[{"function":"avg","field_id":"TOTAL","filter":{"field_id":"DISCOUNT","operation":"is-not-null"}},{"function":"avg","field_id":"TOTAL","filter":{"segment_id":1}}]}`: `{"table_id":1,"aggregations":[{"field_id":"t1-5","function":"avg","filter":{"field_id":"t1-6","operation":"is-not-null"}},{"field_id":"t1-5","function":"avg","filter":{"segment_id":1}}]}`,
		`{"table_id":1,"filters":[{"field_id":"CREATED_AT","operation":"last","value":6,"unit":"month","complete":true,"anchor":"latest"}]}`:                                                               `{"table_id":1,"filters":[{"field_id":"t1-7","operation":"last","value":6,"unit":"month","complete":true,"anchor":"latest"}]}`,
	} {
		req, err := sqlgen.ParseRequest([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		q, err := sqlgen.Compile(c, sqlgen.FullAccess{}, req)
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := keys.Seal(q, Position{Limit: req.Limit})
		p, err := keys.Open(tok)
		if err != nil {
			t.Fatal(err)
		}
		back, err := p.Request(m)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(back)
		if string(got) != want {
			t.Errorf("%s\n came back as %s\n want        %s", body, got, want)
		}
	}
}
