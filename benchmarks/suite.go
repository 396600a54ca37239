package benchmarks

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the raw PostgreSQL path
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentlayer/agentlayer/agentapi"
	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/httpapi"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
	"github.com/agentlayer/agentlayer/mcp"
	"github.com/agentlayer/agentlayer/pgwire"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// Query is one of the agent queries measured.
type Query struct {
	Name    string
	Persona string // a user of the sample directory
	Request string // a construct request
	// Statement is the request as semantic SQL over the wire ("" when SQL
	// cannot say it: a metric's query).
	Statement string
}

// Queries are the ten agent queries of the benchmark.
var Queries = []Query{
	{"revenue by month", "analyst@example.com",
		`{"table_id":1,"aggregations":[{"function":"sum","field_id":"t1-5"}],"group_by":[{"field_id":"t1-7","field_granularity":"month"}]}`, `SELECT date_trunc('month', CREATED_AT), sum(TOTAL) FROM ORDERS GROUP BY 1`},
	{"orders by category, filtered", "analyst@example.com",
		`{"table_id":1,"filters":[{"field_id":"t1-25","operation":"equals","values":["Gizmo","Widget"]}],"aggregations":[{"function":"count"}],"group_by":[{"field_id":"t1-25"}]}`, `SELECT pr.CATEGORY, count(*) FROM ORDERS o LEFT JOIN PRODUCTS pr ON o.PRODUCT_ID = pr.ID WHERE pr.CATEGORY IN ('Gizmo', 'Widget') GROUP BY 1`},
	{"2,000-row detail page", "analyst@example.com",
		`{"table_id":1,"fields":[{"field_id":"t1-0"},{"field_id":"t1-1"},{"field_id":"t1-3"},{"field_id":"t1-4"},{"field_id":"t1-5"},{"field_id":"t1-6"},{"field_id":"t1-7"},{"field_id":"t1-8"}],"filters":[{"field_id":"t1-7","operation":"greater-than","value":"2025-06"}],"limit":2000}`, `SELECT ID, USER_ID, SUBTOTAL, TAX, TOTAL, DISCOUNT, CREATED_AT, QUANTITY FROM ORDERS WHERE CREATED_AT > '2025-06' LIMIT 2000`},
	{"10,000-row aggregate", "analyst@example.com",
		`{"table_id":1,"aggregations":[{"function":"sum","field_id":"t1-5"},{"function":"count"}],"group_by":[{"field_id":"t1-1"}],"limit":10000}`, `SELECT USER_ID, sum(TOTAL), count(*) FROM ORDERS GROUP BY 1 LIMIT 10000`},
	{"selective count", "analyst@example.com",
		`{"table_id":1,"filters":[{"field_id":"t1-1","operation":"equals","value":1234}],"aggregations":[{"function":"count"}]}`, `SELECT count(*) FROM ORDERS WHERE USER_ID = 1234`},
	{"segment", "analyst@example.com",
		`{"table_id":1,"filters":[{"segment_id":1}],"aggregations":[{"function":"avg","field_id":"t1-5"}]}`, `SELECT avg(TOTAL) FROM ORDERS WHERE SEGMENT("Large orders")`},
	{"metric by week", "analyst@example.com",
		`{"metric_id":1,"group_by":[{"field_id":"c1-7","field_granularity":"week"}]}`, ``},
	{"string-contains filter", "analyst@example.com",
		`{"table_id":2,"filters":[{"field_id":"t2-4","operation":"string-contains","value":"ana"}],"aggregations":[{"function":"count"}]}`, `SELECT count(*) FROM PEOPLE WHERE NAME ILIKE '%ana%'`},
	{"joined group-by", "analyst@example.com",
		`{"table_id":1,"aggregations":[{"function":"sum","field_id":"t1-5"}],"group_by":[{"field_id":"t1-17"},{"field_id":"t1-25"}]}`, `SELECT p.SOURCE, pr.CATEGORY, sum(o.TOTAL) FROM ORDERS o LEFT JOIN PEOPLE p ON o.USER_ID = p.ID LEFT JOIN PRODUCTS pr ON o.PRODUCT_ID = pr.ID GROUP BY 1, 2`},
	{"sales persona, row rule", "sales.tx@example.com",
		`{"table_id":1,"aggregations":[{"function":"sum","field_id":"t1-5"},{"function":"count"}],"group_by":[{"field_id":"t1-7","field_granularity":"year"}]}`, `SELECT date_trunc('year', CREATED_AT), sum(TOTAL), count(*) FROM ORDERS GROUP BY 1`},
}

// Secret is the JWT secret of the benchmark server.
var Secret = []byte("agentlayer-benchmark-secret-0123456789")

// Env is the sample dataset at one scale, served by an engine and over
// loopback HTTP, beside raw access to the same database (DuckDB, or a
// PostgreSQL server).
type Env struct {
	Scale     float64
	Engine    *engine.Engine
	Server    *httptest.Server
	Directory *auth.Directory
	Verifier  *auth.Verifier
	// DB is the engine's database, captured in Setup: raw runs the plans'
	// SQL on it, bypassing the engine.
	DB       *sql.DB
	Sessions *auth.Sessions // shared by the Agent API and MCP
	// SQLAddr serves the engine over PostgreSQL's wire protocol.
	SQLAddr  string
	wire     *pgwire.Server
	ownDB    bool // DB is the environment's, closed with it
	postgres bool // DB is PostgreSQL (pgx), not DuckDB
}

// MCPPath is where the environment serves MCP, as agentlayer serve does.
const MCPPath = "/api/agent/mcp"

// NewEnv generates the sample dataset at scale and serves it.
func NewEnv(ctx context.Context, scale float64) (*Env, error) {
	return NewCachedEnv(ctx, scale, engine.CacheOptions{})
}

// NewCachedEnv is NewEnv with the result cache as given.
func NewCachedEnv(ctx context.Context, scale float64, cache engine.CacheOptions) (*Env, error) {
	return NewEnvWith(ctx, scale, func(o *engine.Options) { o.Cache = cache })
}

// NewEnvWith is NewEnv with the engine's options changed by opts.
func NewEnvWith(ctx context.Context, scale float64, opts func(*engine.Options)) (*Env, error) {
	var db *sql.DB
	o := engine.Options{
		ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(),
		PolicyFile: fixtures.PolicyFile, PolicyYAML: fixtures.Policy(),
		Setup:                func(ctx context.Context, d *sql.DB) error { db = d; return fixtures.Generate(ctx, d, scale) },
		MaxConcurrentQueries: 4,
	}
	opts(&o)
	e, err := engine.New(ctx, o)
	if err != nil {
		return nil, err
	}
	return serve(scale, e, db)
}

// NewPostgresEnv loads the sample dataset at scale into the PostgreSQL
// database at url (replacing its sample tables) and serves it; DB is a
// plain pgx handle on the same database, for the raw path.
func NewPostgresEnv(ctx context.Context, scale float64, url string) (*Env, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	if err := fixtures.LoadPostgres(ctx, db, scale); err != nil {
		db.Close()
		return nil, err
	}
	e, err := engine.New(ctx, engine.Options{
		ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(),
		PolicyFile: fixtures.PolicyFile, PolicyYAML: fixtures.Policy(),
		Database: url, MaxConcurrentQueries: 4,
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	env, err := serve(scale, e, db)
	if err == nil {
		env.ownDB, env.postgres = true, true
	}
	return env, err
}

// serve puts an engine behind loopback HTTP, with the sample's users.
func serve(scale float64, e *engine.Engine, db *sql.DB) (*Env, error) {
	dir, err := auth.ParseDirectory(fixtures.UsersFile, fixtures.Users())
	if err != nil {
		return nil, err
	}
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: Secret, Directory: dir})
	if err != nil {
		return nil, err
	}
	sessions := auth.NewSessions(auth.SessionOptions{})
	mux := http.NewServeMux()
	// Every result fits the MCP budget: nothing is cut, as over HTTP.
	mux.Handle(MCPPath, mcp.New(e, mcp.Options{Verifier: v, Sessions: sessions, MaxResultBytes: 1 << 30}))
	mux.Handle("/", agentapi.New(e, agentapi.Options{Verifier: v, Sessions: sessions}))
	srv := httptest.NewServer(mux)
	a := &httpapi.Authenticator{Verifier: v, Sessions: sessions}
	wire := pgwire.New(pgwire.Options{Engine: e, Authenticate: a.Password})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go wire.Serve(ln)
	return &Env{Scale: scale, Engine: e, Server: srv, Directory: dir, Verifier: v, DB: db, Sessions: sessions,
		SQLAddr: ln.Addr().String(), wire: wire}, nil
}

// OpenSQL connects to the environment's SQL server as email, with pgx
// (the extended protocol, binary results).
func (env *Env) OpenSQL(ctx context.Context, email string) (*pgx.Conn, error) {
	tok, err := auth.Sign(Secret, auth.Claims{Email: email, IssuedAt: time.Now()})
	if err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(env.SQLAddr)
	return pgx.Connect(ctx, fmt.Sprintf("host=%s port=%s user=%s password=%s sslmode=disable", host, port, email, tok))
}

// SQL runs a query's statement over the wire and reads every row, as
// bytes: their number.
func (env *Env) SQL(ctx context.Context, c *pgx.Conn, q Query) (int, error) {
	rows, err := c.Query(ctx, q.Statement)
	if err != nil {
		return 0, err
	}
	// The rows' bytes, as HTTP reads its body: what the client makes of
	// them is the client's.
	n := 0
	for rows.Next() {
		_ = rows.RawValues()
		n++
	}
	rows.Close()
	return n, rows.Err()
}

// Close releases the environment.
func (env *Env) Close() {
	env.wire.Close()
	env.Server.Close()
	env.Engine.Close()
	if env.ownDB {
		env.DB.Close()
	}
}

// Principal is a user of the sample directory, as a verified token would
// give it.
func (env *Env) Principal(email string) *auth.Principal {
	u, _ := env.Directory.Lookup(email)
	return &auth.Principal{Email: u.Email, Groups: u.Groups, Attributes: u.Attributes}
}

// Prepared is a query ready to run three ways: its SQL (planned once, for
// the raw path), its request, and a query token for HTTP.
type Prepared struct {
	Query
	SQL   string
	Args  []any
	Token string
	user  *auth.Principal
	req   *sqlgen.Request
}

// Prepare plans q for its persona.
func (env *Env) Prepare(ctx context.Context, q Query) (*Prepared, error) {
	p := env.Principal(q.Persona)
	req, err := sqlgen.ParseRequest([]byte(q.Request))
	if err != nil {
		return nil, err
	}
	lq, err := env.Engine.Construct(ctx, p, req)
	if err != nil {
		return nil, err
	}
	plan, err := env.Engine.Plan(ctx, p, lq)
	if err != nil {
		return nil, err
	}
	sqlText, args := plan.SQL()
	tok, err := env.Engine.Token(lq)
	if err != nil {
		return nil, err
	}
	return &Prepared{Query: q, SQL: sqlText, Args: args, Token: tok, user: p, req: req}, nil
}

// Raw runs the plan's SQL text through database/sql and scans every value,
// as the engine does: the baseline.
func (env *Env) Raw(ctx context.Context, p *Prepared) (int, error) {
	rows, err := env.DB.QueryContext(ctx, p.SQL, p.Args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// EngineRun runs the request through the library for its persona: parse,
// validate, grant, plan, run, and read every row with the same scan as Raw.
// Formatting values as JSON is the HTTP layer's work, measured there.
func (env *Env) EngineRun(ctx context.Context, p *Prepared) (int, error) {
	req, err := sqlgen.ParseRequest([]byte(p.Request))
	if err != nil {
		return 0, err
	}
	rows, err := env.Engine.Query(ctx, p.user, req)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	return n, rows.Err()
}

// HTTP runs the request over loopback HTTP, as an agent does with
// /v1/execute: a fresh JWT, the token, and the whole streamed answer read.
func (env *Env) HTTP(ctx context.Context, client *http.Client, p *Prepared, jwt string) (int, error) {
	return env.execute(ctx, client, p, jwt, false)
}

// HTTPFresh is HTTP asking for a fresh answer (Cache-Control: no-cache):
// the path of a server without a result cache.
func (env *Env) HTTPFresh(ctx context.Context, client *http.Client, p *Prepared, jwt string) (int, error) {
	return env.execute(ctx, client, p, jwt, true)
}

func (env *Env) execute(ctx context.Context, client *http.Client, p *Prepared, jwt string, fresh bool) (int, error) {
	body := []byte(`{"query":"` + p.Token + `"}`)
	req, err := http.NewRequestWithContext(ctx, "POST", env.Server.URL+"/api/agent/v1/execute", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+jwt)
	if fresh {
		req.Header.Set("Cache-Control", "no-cache")
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusAccepted {
		return 0, fmt.Errorf("execute: %d %s", resp.StatusCode, data)
	}
	// The status and row count follow the rows (then the restrictions):
	// read them there, as the server writes them, without parsing the
	// rows (the client's work).
	const completed = `"status":"completed","row_count":`
	i := bytes.LastIndex(data, []byte(completed))
	if i < 0 {
		return 0, fmt.Errorf("execute did not complete: %.300s", data[max(0, len(data)-300):])
	}
	var n int
	fmt.Sscanf(string(data[i+len(completed):]), "%d", &n)
	return n, nil
}

// JWT mints a token for email, as a host application would.
func JWT(email string) string {
	tok, _ := auth.Sign(Secret, auth.Claims{Email: email, IssuedAt: time.Now()})
	return tok
}

// JWTs gives JWTs for email, a new one each minute: a token is refused
// past 180 s, and minting one per request would measure the signing.
func JWTs(email string) func() string {
	tok, minted := JWT(email), time.Now()
	return func() string {
		if time.Since(minted) > time.Minute {
			tok, minted = JWT(email), time.Now()
		}
		return tok
	}
}

// MCPClient is an MCP session of one persona, opened with the SDK's client
// over a session token (a long-lived credential, as MCP clients keep).
type MCPClient struct {
	session *sdk.ClientSession
	header  http.Header
	url     string
	client  *http.Client
	id      int
}

// OpenMCP opens an MCP session for persona.
func (env *Env) OpenMCP(ctx context.Context, client *http.Client, persona string) (*MCPClient, error) {
	tok, _, err := env.Sessions.Create(ctx, env.Principal(persona))
	if err != nil {
		return nil, err
	}
	h := http.Header{"X-Metabase-Session": {tok}}
	c := sdk.NewClient(&sdk.Implementation{Name: "benchmark", Version: "1"}, nil)
	cs, err := c.Connect(ctx, &sdk.StreamableClientTransport{Endpoint: env.Server.URL + MCPPath,
		HTTPClient: &http.Client{Transport: testkit.WithHeaders(h, client.Transport)}}, nil)
	if err != nil {
		return nil, err
	}
	h = h.Clone()
	h.Set("Mcp-Session-Id", cs.ID())
	h.Set("Mcp-Protocol-Version", cs.InitializeResult().ProtocolVersion)
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json, text/event-stream")
	return &MCPClient{session: cs, header: h, url: env.Server.URL + MCPPath, client: client}, nil
}

// Close ends the session.
func (m *MCPClient) Close() error { return m.session.Close() }

// Execute runs the query token through MCP's execute_query and reads the
// whole answer, checking its row count where it is written, without
// parsing the rows (the client's work), as HTTP does.
func (m *MCPClient) Execute(ctx context.Context, p *Prepared) (int, error) {
	data, err := m.Call(ctx, "execute_query", fmt.Sprintf(`{"query":%q}`, p.Token))
	if err != nil {
		return 0, err
	}
	return rowCount(data), nil
}

// Call calls a tool with its arguments (a JSON object) and reads the whole
// answer. The request is the tools/call the SDK's client would send on the
// session it opened.
func (m *MCPClient) Call(ctx context.Context, tool, arguments string) ([]byte, error) {
	m.id++
	// With the protocol's own _meta (its version, the client and its
	// capabilities), which the SDK's client sends on every request of the
	// sessionless protocol a stateless server speaks.
	meta := fmt.Sprintf(`{%q:%q,%q:{"name":"benchmark","version":"1"},%q:{}}`,
		sdk.MetaKeyProtocolVersion, m.header.Get("Mcp-Protocol-Version"), sdk.MetaKeyClientInfo, sdk.MetaKeyClientCapabilities)
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"_meta":%s,"name":%q,"arguments":%s}}`, m.id, meta, tool, arguments)
	req, err := http.NewRequestWithContext(ctx, "POST", m.url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = m.header.Clone()
	req.Header.Set("Mcp-Method", "tools/call") // the standard headers of the sessionless protocol
	req.Header.Set("Mcp-Name", tool)
	resp, err := m.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || !bytes.Contains(data, []byte(`"row_count":`)) || bytes.Contains(data, []byte(`"isError":true`)) {
		return nil, fmt.Errorf("%s: %d %.300s", tool, resp.StatusCode, data)
	}
	return data, nil
}

// rowCount reads an answer's row count where it is written, last.
func rowCount(data []byte) int {
	const count = `"row_count":`
	var n int
	if i := bytes.LastIndex(data, []byte(count)); i >= 0 {
		fmt.Sscanf(string(data[i+len(count):]), "%d", &n)
	}
	return n
}
