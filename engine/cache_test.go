package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgsample"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

// cacheOptions are the sample's at scale 0.2, with the result cache as
// given; engines built from them hold the same data and hash alike.
func cacheOptions(c engine.CacheOptions) engine.Options {
	return engine.Options{ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(), PolicyFile: fixtures.PolicyFile,
		PolicyYAML: fixtures.Policy(), Setup: fixtures.Setup(0.2), MaskKey: []byte("a mask key the engines share"), Cache: c}
}

func openCached(t testing.TB, c engine.CacheOptions) *engine.Engine {
	t.Helper()
	e, err := newEngine(context.Background(), cacheOptions(c))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// cachedAnswer is an answer as its reader sees it, both ways it can read
// it: the values (Row) and the JSON (AppendJSON), with whether it came
// from the cache.
type cachedAnswer struct {
	cols, rows, json, err string
	exact                 string // every value's Go type and value, as Row gives it
	cache                 string
}

func (a cachedAnswer) same(b cachedAnswer) bool {
	return a.cols == b.cols && a.rows == b.rows && a.exact == b.exact && a.json == b.json && a.err == b.err
}

func askCached(ctx context.Context, e *engine.Engine, p *auth.Principal, request string) cachedAnswer {
	req, err := engine.ParseRequest([]byte(request))
	if err != nil {
		return cachedAnswer{err: "parse: " + err.Error()}
	}
	rows, err := e.Query(ctx, p, req)
	if err != nil {
		return cachedAnswer{err: err.Error()}
	}
	defer rows.Close()
	var a cachedAnswer
	var cols, vals, exact strings.Builder
	for _, c := range rows.Columns {
		fmt.Fprintf(&cols, "%s %s %s|", c.Name, c.DisplayName, c.BaseType)
	}
	var js []byte
	for rows.Next() {
		row := rows.Row()
		fmt.Fprintln(&vals, testkit.CanonRow(row))
		for _, v := range row {
			fmt.Fprintf(&exact, "%T:%v|", v, v)
		}
		exact.WriteByte('\n')
		js = rows.AppendJSON(js)
		js = append(js, '\n')
	}
	if err := rows.Err(); err != nil {
		return cachedAnswer{err: "database: " + err.Error()}
	}
	a.cols, a.rows, a.exact, a.json, a.cache = cols.String(), vals.String(), exact.String(), string(js), rows.Provenance.Cache
	return a
}

// randomUser is a user of random groups and attributes: what the sample's
// policies read of a user.
func randomUser(rng *rand.Rand, i int) *auth.Principal {
	p := &auth.Principal{Email: fmt.Sprintf("user%d@example.com", i), Attributes: map[string]any{}}
	for _, g := range []string{"admin", "analyst", "sales", "product", "support", "benchmark", "marketing"} {
		if rng.IntN(4) == 0 {
			p.Groups = append(p.Groups, g)
		}
	}
	if states := []string{"TX", "CA", "NY", "WA", ""}; true {
		if s := states[rng.IntN(len(states))]; s != "" {
			p.Attributes["state"] = s
		}
	}
	return p
}

// TestCache_randomUsersAgainstUncached: random users (groups and
// attributes) ask random questions of the corpus, many of them again, in
// random order through the cache; each answer equals the same user's
// answer from an engine without a cache. The oracle is the uncached
// answer, never the key.
func TestCache_randomUsersAgainstUncached(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cached := openCached(t, engine.CacheOptions{TTL: time.Hour})
	plain := openCached(t, engine.CacheOptions{})
	corpus := requestCorpus(t)
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range corpus {
			if !yield(n) {
				return
			}
		}
	})
	for seed := range uint64(3) {
		rng := rand.New(rand.NewPCG(seed, 99))
		users := make([]*auth.Principal, 12)
		for i := range users {
			users[i] = randomUser(rng, i)
		}
		questions := make([]string, 30)
		for i := range questions {
			questions[i] = names[rng.IntN(len(names))]
		}
		oracle := map[[2]int]cachedAnswer{}
		hits, differ := 0, 0
		for range 300 {
			u, q := rng.IntN(len(users)), rng.IntN(len(questions))
			want, ok := oracle[[2]int{u, q}]
			if !ok {
				want = askCached(ctx, plain, users[u], string(corpus[questions[q]]))
				oracle[[2]int{u, q}] = want
			}
			got := askCached(ctx, cached, users[u], string(corpus[questions[q]]))
			if !got.same(want) {
				t.Fatalf("seed %d, %+v asks %s: with the cache\n%+v\nwithout\n%+v", seed, users[u], questions[q], got, want)
			}
			if got.cache == engine.CacheHit {
				hits++
			}
		}
		// The users differ: answers to one question differ between them.
		for q := range questions {
			var answers []string
			for u := range users {
				if a, ok := oracle[[2]int{u, q}]; ok && !slices.Contains(answers, a.rows+a.err) {
					answers = append(answers, a.rows+a.err)
				}
			}
			if len(answers) > 1 {
				differ++
			}
		}
		t.Logf("seed %d: %d hits of 300; %d of 30 questions answered differently to different users", seed, hits, differ)
		if hits == 0 || differ == 0 {
			t.Errorf("seed %d: %d hits, %d questions that differ between users: the test proves nothing", seed, hits, differ)
		}
	}
}

// TestCache_sharedExactlyWhenAccessIsTheSame: two sales users of Texas
// share an ORDERS answer; one of California does not; an analyst and a
// sales user share a PRODUCTS answer (both see PRODUCTS whole), never an
// ORDERS one.
func TestCache_sharedExactlyWhenAccessIsTheSame(t *testing.T) {
	ctx := context.Background()
	e := openCached(t, engine.CacheOptions{TTL: time.Hour})
	sales := func(email, state string) *auth.Principal {
		return &auth.Principal{Email: email, Groups: []string{"sales"}, Attributes: map[string]any{"state": state}}
	}
	analyst := &auth.Principal{Email: "analyst@example.com", Groups: []string{"analyst"}}
	orders := `{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"t1-7","field_granularity":"year"}]}`
	products := `{"table_id":3,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"CATEGORY"}]}`
	for _, step := range []struct {
		who     *auth.Principal
		request string
		want    string
	}{
		{sales("ann@example.com", "TX"), orders, engine.CacheMiss},
		{sales("bob@example.com", "TX"), orders, engine.CacheHit},
		{sales("cat@example.com", "CA"), orders, engine.CacheMiss},
		{analyst, orders, engine.CacheMiss},
		{analyst, products, engine.CacheMiss},
		{sales("ann@example.com", "TX"), products, engine.CacheHit},
		{sales("cat@example.com", "CA"), products, engine.CacheHit},
		// Equivalent spellings: fields by id or by name, filters in any
		// order, JSON keys in any order.
		{analyst, `{"table_id":3,"filters":[{"field_id":"CATEGORY","operation":"equals","value":"Gizmo"},{"field_id":"PRICE","operation":"greater-than","value":20}],"aggregations":[{"function":"count"}]}`, engine.CacheMiss},
		{analyst, `{"aggregations":[{"function":"count"}],"filters":[{"operation":"greater-than","field_id":"t3-5","value":20},{"field_id":"t3-3","operation":"equals","value":"Gizmo"}],"table_id":3}`, engine.CacheHit},
	} {
		if a := askCached(ctx, e, step.who, step.request); a.err != "" || a.cache != step.want {
			t.Errorf("%s (%v) asks %s: cache %q, want %q (%s)", step.who.Email, step.who.Attributes, step.request, a.cache, step.want, a.err)
		}
	}
}

// TestCache_concurrentUsers: many goroutines ask overlapping questions as
// different users at once; every answer is the user's own (under -race).
func TestCache_concurrentUsers(t *testing.T) {
	ctx := context.Background()
	cached := openCached(t, engine.CacheOptions{TTL: time.Hour, MaxBytes: 4 << 20}) // small: evictions too
	plain := openCached(t, engine.CacheOptions{})
	corpus := requestCorpus(t)
	rng := rand.New(rand.NewPCG(7, 7))
	users := make([]*auth.Principal, 8)
	for i := range users {
		users[i] = randomUser(rng, i)
	}
	users[0] = &auth.Principal{Email: "admin@example.com", Groups: []string{"admin"}}
	users[1] = &auth.Principal{Email: "tx@example.com", Groups: []string{"sales"}, Attributes: map[string]any{"state": "TX"}}
	var questions []string
	for n := range corpus {
		if len(questions) == 20 {
			break
		}
		questions = append(questions, string(corpus[n]))
	}
	want := make([][]cachedAnswer, len(users))
	for u := range users {
		for _, q := range questions {
			want[u] = append(want[u], askCached(ctx, plain, users[u], q))
		}
	}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for range 60 {
				u, q := rng.IntN(len(users)), rng.IntN(len(questions))
				if got := askCached(ctx, cached, users[u], questions[q]); !got.same(want[u][q]) {
					t.Errorf("%s asks %s: with the cache\n%+v\nwithout\n%+v", users[u].Email, questions[q], got, want[u][q])
					return
				}
			}
		}()
	}
	wg.Wait()
	st := cached.Stats().Cache
	t.Logf("cache: %+v", st)
	if st.Hits == 0 || st.Bytes > 4<<20 {
		t.Errorf("cache stats %+v", st)
	}
}

// TestCache_invalidateTTLAndReload: data written by others shows once the
// answers read before it are invalidated, by table, or expire; a reload
// empties the cache; an unknown table is an error.
func TestCache_invalidateTTLAndReload(t *testing.T) {
	ctx := context.Background()
	e := openCached(t, engine.CacheOptions{TTL: time.Hour})
	db := dbOf(t, e)
	tx := &auth.Principal{Email: "tx@example.com", Groups: []string{"sales"}, Attributes: map[string]any{"state": "TX"}}
	count := `{"table_id":1,"aggregations":[{"function":"count"}]}`
	first := askCached(ctx, e, tx, count)
	if first.cache != engine.CacheMiss {
		t.Fatalf("first: %+v", first)
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM ORDERS WHERE USER_ID IN (SELECT ID FROM PEOPLE WHERE STATE = 'TX') AND ID % 2 = 0`); err != nil {
		t.Fatal(err)
	}
	if a := askCached(ctx, e, tx, count); a.cache != engine.CacheHit || a.rows != first.rows {
		t.Fatalf("within the TTL, without Invalidate: %+v", a)
	}
	if err := e.Invalidate("PRODUCTS"); err != nil {
		t.Fatal(err)
	}
	if a := askCached(ctx, e, tx, count); a.cache != engine.CacheHit {
		t.Fatalf("PRODUCTS' invalidation dropped an answer that reads ORDERS and PEOPLE: %+v", a)
	}
	// The rule reads PEOPLE (row.USER.STATE): writing PEOPLE drops it.
	if err := e.Invalidate("PEOPLE"); err != nil {
		t.Fatal(err)
	}
	fresh := askCached(ctx, e, tx, count)
	if fresh.cache != engine.CacheMiss || fresh.rows == first.rows {
		t.Fatalf("after Invalidate(PEOPLE): %+v, before %+v", fresh, first)
	}
	if err := e.Invalidate("NO_SUCH_TABLE"); err == nil || !strings.Contains(err.Error(), "NO_SUCH_TABLE") {
		t.Fatalf("an unknown table: %v", err)
	}
	if err := e.Reload(ctx, cacheOptions(engine.CacheOptions{TTL: time.Hour})); err != nil {
		t.Fatal(err)
	}
	if a := askCached(ctx, e, tx, count); a.cache != engine.CacheMiss {
		t.Fatalf("after a reload: %+v", a)
	}

	var mu sync.Mutex
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	opts := cacheOptions(engine.CacheOptions{TTL: time.Minute})
	opts.Now = clock
	timed, err := newEngine(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer timed.Close()
	for _, step := range []struct {
		later time.Duration
		want  string
	}{{0, engine.CacheMiss}, {59 * time.Second, engine.CacheHit}, {time.Second, engine.CacheMiss}, {0, engine.CacheHit}} {
		mu.Lock()
		now = now.Add(step.later)
		mu.Unlock()
		if a := askCached(ctx, timed, tx, count); a.cache != step.want {
			t.Fatalf("%s later: %+v, want %s", step.later, a, step.want)
		}
	}
}

// TestCache_valuesPagesAndSearch: field values, pages and search come from
// the cache when asked again, the same; a reader that stops before the end
// of a result leaves nothing cached.
func TestCache_valuesPagesAndSearch(t *testing.T) {
	ctx := context.Background()
	e := openCached(t, engine.CacheOptions{TTL: time.Hour})
	tx := &auth.Principal{Email: "tx@example.com", Groups: []string{"sales"}, Attributes: map[string]any{"state": "TX"}}
	ref := engine.FieldRef{TableID: 2, FieldID: "CITY"}
	a, err := e.FieldValues(ctx, tx, ref, 10)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.FieldValues(ctx, tx, ref, 10)
	if err != nil {
		t.Fatal(err)
	}
	if a.Provenance.Cache != engine.CacheMiss || b.Provenance.Cache != engine.CacheHit || fmt.Sprint(a.Counts) != fmt.Sprint(b.Counts) {
		t.Fatalf("field values: %s %v, then %s %v", a.Provenance.Cache, a.Counts, b.Provenance.Cache, b.Counts)
	}
	s1, err := e.Search(ctx, tx, []string{"orders"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := e.Search(ctx, tx, []string{"orders"}, nil)
	if fmt.Sprint(s1) != fmt.Sprint(s2) || len(s1) == 0 {
		t.Fatalf("search: %v, then %v", s1, s2)
	}

	req, _ := engine.ParseRequest([]byte(`{"table_id":2,"fields":[{"field_id":"ID"},{"field_id":"CITY"}]}`))
	q, err := e.Construct(ctx, tx, req)
	if err != nil {
		t.Fatal(err)
	}
	page := func(offset int, read int) (string, string) {
		q.Paging.Size = 11
		rows, err := e.Page(ctx, tx, q, offset)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []byte
		for i := 0; i < read && rows.Next(); i++ {
			out = rows.AppendJSON(out)
		}
		return string(out), rows.Provenance.Cache
	}
	if _, c := page(10, 3); c != engine.CacheMiss {
		t.Fatalf("first read of a page: %s", c)
	}
	// The database gave the page whole, into the answer's buffer, though
	// its reader read 3 rows: it is kept.
	waitFor(t, func() bool { _, c := page(10, 0); return c == engine.CacheHit })
	whole, _ := page(10, 11)
	again, c := page(10, 11)
	if c != engine.CacheHit || again != whole {
		t.Fatalf("a page read whole, again: %s\n%s\n%s", c, again, whole)
	}
}

// TestCache_offByDefault: an engine's zero options keep no answers, and
// say nothing of a cache.
func TestCache_offByDefault(t *testing.T) {
	e := sampleEngine(t)
	for range 2 {
		if a := askCached(context.Background(), e, admin, `{"table_id":3,"limit":3}`); a.cache != "" || a.err != "" {
			t.Fatalf("%+v", a)
		}
	}
	if err := e.Invalidate("ORDERS"); err != nil {
		t.Fatal(err)
	}
	if err := e.Invalidate(); err != nil {
		t.Fatalf("Invalidate() with the cache off: %v", err)
	}
}

// TestCache_withoutCache: a context that bypasses the cache gets a fresh
// answer, and leaves nothing in the cache.
func TestCache_withoutCache(t *testing.T) {
	ctx := context.Background()
	e := openCached(t, engine.CacheOptions{TTL: time.Hour})
	q := `{"table_id":3,"aggregations":[{"function":"count"}]}`
	for range 2 {
		if a := askCached(engine.WithoutCache(ctx), e, admin, q); a.cache != "" || a.err != "" {
			t.Fatalf("bypassing: %+v", a)
		}
	}
	if a := askCached(ctx, e, admin, q); a.cache != engine.CacheMiss {
		t.Fatalf("after answers that bypassed the cache: %+v", a)
	}
	if a := askCached(engine.WithoutCache(ctx), e, admin, q); a.cache != "" {
		t.Fatalf("bypassing a cached answer: %+v", a)
	}
}

// TestCache_readersThatDoNotClose: an answer is kept once the database has
// given it whole, before its reader reads it to its end or closes it.
func TestCache_readersThatDoNotClose(t *testing.T) {
	ctx := context.Background()
	opts := cacheOptions(engine.CacheOptions{TTL: time.Hour})
	opts.QueryTimeout = 300 * time.Millisecond
	e, err := newEngine(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	query := func(request string) *engine.Rows {
		req, _ := engine.ParseRequest([]byte(request))
		rows, err := e.Query(ctx, admin, req)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	whole := query(`{"table_id":3,"limit":5}`)
	for whole.Next() {
	}
	if again := query(`{"table_id":3,"limit":5}`); again.Provenance.Cache != engine.CacheHit {
		t.Errorf("an answer read to its end, not yet closed: %q", again.Provenance.Cache)
	}
	whole.Close()

	part := query(`{"table_id":3,"limit":50}`)
	part.Next() // and never closed
	waitFor(t, func() bool {
		next := query(`{"table_id":3,"limit":50}`)
		defer next.Close()
		return next.Provenance.Cache == engine.CacheHit
	})
	part.Close()
}

// TestCache_pageWithItsLookaheadRow: a page read as /v1/query reads it
// (JSON for every row but the last, which only says another page follows)
// is kept whole; asked again, every row's values and JSON are the same.
func TestCache_pageWithItsLookaheadRow(t *testing.T) {
	ctx := context.Background()
	e := openCached(t, engine.CacheOptions{TTL: time.Hour})
	req, _ := engine.ParseRequest([]byte(`{"table_id":1,"fields":[{"field_id":"ID"},{"field_id":"TOTAL"},{"field_id":"CREATED_AT"},{"field_id":"QUANTITY"}]}`))
	q, err := e.Construct(ctx, admin, req)
	if err != nil {
		t.Fatal(err)
	}
	read := func(jsonOfLast bool) (vals, js []string, cache string) {
		q.Paging.Size = 11
		rows, err := e.Page(ctx, admin, q, 20)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for i := 0; rows.Next(); i++ {
			var exact strings.Builder
			for _, v := range rows.Row() {
				fmt.Fprintf(&exact, "%T:%v|", v, v)
			}
			vals = append(vals, exact.String())
			if i < 10 || jsonOfLast {
				js = append(js, string(rows.AppendJSON(nil)))
			}
		}
		return vals, js, rows.Provenance.Cache
	}
	v1, j1, c1 := read(false)
	v2, j2, c2 := read(true)
	if c1 != engine.CacheMiss || c2 != engine.CacheHit || len(v1) != 11 {
		t.Fatalf("cache %q then %q, %d rows", c1, c2, len(v1))
	}
	if fmt.Sprint(v1) != fmt.Sprint(v2) || fmt.Sprint(j1) != fmt.Sprint(j2[:10]) || !strings.HasPrefix(j2[10], "[") {
		t.Fatalf("asked again:\n%v\n%v\n%v\n%v", v1, v2, j1, j2)
	}
}

// TestCache_postgres: on PostgreSQL (whose numerics arrive as text), every
// sample user's answers to the corpus, asked twice through the cache (the
// second time as a hit, its values read back from the JSON), equal the
// same user's answers without it.
func TestCache_postgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgsample.Sample(t)
	open := func(c engine.CacheOptions) *engine.Engine {
		e, err := engine.New(ctx, engine.Options{ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(), PolicyFile: fixtures.PolicyFile,
			PolicyYAML: fixtures.Policy(), Database: url, MaskKey: []byte("a mask key the engines share"), Cache: c})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		return e
	}
	cached, plain := open(engine.CacheOptions{TTL: time.Hour}), open(engine.CacheOptions{})
	corpus := requestCorpus(t)
	hits := 0
	for _, p := range samplePrincipals(t) {
		for name, req := range corpus {
			want := askCached(ctx, plain, p, string(req))
			for range 2 {
				got := askCached(ctx, cached, p, string(req))
				if !got.same(want) {
					t.Fatalf("%s asks %s: with the cache\n%+v\nwithout\n%+v", p.Email, name, got, want)
				}
				if got.cache == engine.CacheHit {
					hits++
				}
			}
		}
	}
	t.Logf("%d hits", hits)
	if hits < 100 {
		t.Errorf("only %d hits", hits)
	}
}

// waitFor waits, up to 10 s, until cond holds, or fails the test.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the condition never held")
		}
	}
}
