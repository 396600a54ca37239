package pgwire_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/httpapi"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
	"github.com/agentlayer/agentlayer/pgwire"
)

// TestReload_preparedStatements: after a reload that changes what a
// prepared statement returns (SELECT * of a table that lost a column), its
// next execution is refused with 0A000, never old columns; a statement
// whose columns did not change runs on.
func TestReload_preparedStatements(t *testing.T) {
	opts := engine.Options{ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(), PolicyFile: fixtures.PolicyFile,
		PolicyYAML: fixtures.Policy(), Setup: fixtures.Setup(0.05)}
	st := newStack(t, opts)
	c, _ := connectTo(t, st.addr, "analyst@example.com")
	ctx := context.Background()
	if _, err := c.Prepare(ctx, "star", `SELECT * FROM PEOPLE ORDER BY ID LIMIT 2`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Prepare(ctx, "count", `SELECT count(*) FROM PEOPLE`); err != nil {
		t.Fatal(err)
	}
	before, err := sqlAnswer(c, "star")
	if err != nil || len(before) != 2 {
		t.Fatalf("before the reload: %v %v", before, err)
	}
	policy := strings.Replace(string(fixtures.Policy()), "hide: [EMAIL, PASSWORD, ADDRESS, BIRTH_DATE]", "hide: [EMAIL, PASSWORD, ADDRESS, BIRTH_DATE, CITY]", 1)
	if policy == string(fixtures.Policy()) {
		t.Fatal("the sample policy changed: update the test")
	}
	opts.PolicyYAML = []byte(policy)
	if err := st.e.Reload(ctx, opts); err != nil {
		t.Fatal(err)
	}
	_, err = sqlAnswer(c, "star")
	if pe := pgErr(t, err); pe.Code != "0A000" || !strings.Contains(pe.Message, "cached plan must not change result type") {
		t.Errorf("after the reload: %s %s", pe.Code, pe.Message)
	}
	if got, err := sqlAnswer(c, "count"); err != nil || len(got) != 1 {
		t.Errorf("a statement whose columns did not change: %v %v", got, err)
	}
	fresh, err := sqlAnswer(c, `SELECT * FROM PEOPLE ORDER BY ID LIMIT 2`)
	if err != nil || len(fresh[0]) != len(before[0])-1 {
		t.Errorf("prepared again: %v %v", fresh, err)
	}
}

// TestTLS: with a certificate the server upgrades connections
// (sslmode=require), and authenticates over TLS.
func TestTLS(t *testing.T) {
	st := stackOf(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := auth.ParseDirectory(fixtures.UsersFile, fixtures.Users())
	v, _ := auth.NewVerifier(auth.VerifierOptions{Secret: testSecret, Directory: dir})
	a := &httpapi.Authenticator{Verifier: v, Sessions: auth.NewSessions(auth.SessionOptions{})}
	srv := pgwire.New(pgwire.Options{Engine: st.e, Authenticate: a.Password, RequireTLS: true,
		TLS: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}})
	host, port, _ := net.SplitHostPort(serveSQL(t, srv))
	c, err := pgx.Connect(context.Background(), fmt.Sprintf("host=%s port=%s user=analyst@example.com password=%s sslmode=require", host, port, token(t, "analyst@example.com")))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, ok := c.PgConn().Conn().(*tls.Conn); !ok {
		t.Errorf("the connection is %T, not TLS", c.PgConn().Conn())
	}
	if got := queryAll(t, c, `SELECT count(*) FROM PRODUCTS`); got[0][0] == "0" {
		t.Errorf("over TLS: %v", got)
	}
}

// TestAudit_sql: each statement that read data writes one audit line,
// endpoint sql, with its user; catalog queries write none.
func TestAudit_sql(t *testing.T) {
	var log testkit.SyncBuffer
	st := newStack(t, engine.Options{ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(), PolicyFile: fixtures.PolicyFile,
		PolicyYAML: fixtures.Policy(), Setup: fixtures.Setup(0.05), AuditLog: &log})
	c, _ := connectTo(t, st.addr, "sales.tx@example.com")
	queryAll(t, c, `SELECT count(*) FROM ORDERS`)
	queryAll(t, c, `SELECT relname FROM pg_class`)
	queryAll(t, c, `SELECT p.STATE FROM ORDERS o JOIN PEOPLE p ON o.USER_ID = p.ID LIMIT 3`)
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		lines = append(lines, rec)
	}
	if len(lines) != 2 {
		t.Fatalf("%d audit lines, want 2:\n%s", len(lines), log.String())
	}
	for _, rec := range lines {
		if rec["endpoint"] != "sql" || rec["user"] != "sales.tx@example.com" {
			t.Errorf("audit line %v", rec)
		}
	}
}
