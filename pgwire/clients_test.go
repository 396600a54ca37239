package pgwire_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

// client finds a client program of Debian's: in CI a missing one is a
// failure (scripts/test installs them), elsewhere a skip.
func client(t *testing.T, path, pkg string) string {
	t.Helper()
	testkit.FullTier(t, pkg)
	p, err := exec.LookPath(path)
	if err == nil {
		_, err = os.Stat(p)
	}
	if err != nil {
		testkit.Missing(t, "%s is not installed (Debian's %s)", path, pkg)
	}
	return p
}

// keyValues runs a client program and reads its key=value lines.
func keyValues(t *testing.T, cmd *exec.Cmd) map[string]string {
	t.Helper()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	kv := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			kv[k] = v
		}
	}
	return kv
}

// personas are the two users each client runs as: an analyst who sees
// every state (not EMAIL, which the analysts' policy hides) and a Texan
// sales user.
var personas = []struct {
	email, states string
	tables        string
}{
	{"analyst@example.com", "many", "ORDERS,PEOPLE,PRODUCTS,REVIEWS"},
	{"sales.tx@example.com", "TX", "ORDERS,PEOPLE,PRODUCTS"},
}

func checkStates(t *testing.T, who, got, want string) {
	t.Helper()
	if want == "many" {
		if n := len(strings.Split(got, ",")); n < 40 {
			t.Errorf("%s: states %q, want every state", who, got)
		}
		return
	}
	if got != want {
		t.Errorf("%s: states %q, want %q", who, got, want)
	}
}

// TestJDBC: PostgreSQL's JDBC driver, as BI tools use it:
// DatabaseMetaData, a prepared statement reused, types, and a fetch size
// that reads an answer in portions of 500 rows.
func TestJDBC(t *testing.T) {
	java := client(t, "java", "default-jdk-headless")
	jar := "/usr/share/java/postgresql.jar"
	if _, err := os.Stat(jar); err != nil {
		client(t, jar, "libpostgresql-jdbc-java")
	}
	st := stackOf(t)
	host, port, _ := net.SplitHostPort(st.addr)
	for _, p := range personas {
		kv := keyValues(t, exec.Command(java, "-cp", jar, filepath.Join("testdata", "clients", "Check.java"), host, port, p.email, token(t, p.email)))
		if kv["tables"] != p.tables {
			t.Errorf("%s: getTables %q, want %q", p.email, kv["tables"], p.tables)
		}
		if strings.Contains(kv["people_columns"], "EMAIL") || strings.Contains(kv["people_columns"], "PASSWORD") || !strings.Contains(kv["people_columns"], "STATE:text") {
			t.Errorf("%s: getColumns(PEOPLE) %q", p.email, kv["people_columns"])
		}
		if kv["orders_pk"] != "ID" || kv["orders_fks"] != "PRODUCT_ID->PRODUCTS.ID,USER_ID->PEOPLE.ID" {
			t.Errorf("%s: keys %q, %q", p.email, kv["orders_pk"], kv["orders_fks"])
		}
		counts := strings.Split(kv["prepared_counts"], ",")
		if len(counts) != 4 || counts[0] != counts[3] || counts[0] == counts[1] {
			t.Errorf("%s: a reused prepared statement counted %q", p.email, kv["prepared_counts"])
		}
		checkStates(t, p.email, kv["states"], p.states)
		if kv["types"] != "Long,Double,Timestamp" || kv["email_error"] != "42703" {
			t.Errorf("%s: types %q, EMAIL %q", p.email, kv["types"], kv["email_error"])
		}
		if n, total, _ := strings.Cut(kv["fetched"], "/"); n != total || n == "" {
			t.Errorf("%s: setFetchSize read %q", p.email, kv["fetched"])
		}
	}
}

// TestPsycopg2: Debian's psycopg2 (for /usr/bin/python3): parameters,
// Python types, information_schema and a named server-side cursor
// (DECLARE, FETCH FORWARD, CLOSE).
func TestPsycopg2(t *testing.T) {
	python := client(t, "/usr/bin/python3", "python3-psycopg2")
	if err := exec.Command(python, "-c", "import psycopg2").Run(); err != nil {
		client(t, "/nonexistent/psycopg2", "python3-psycopg2")
	}
	st := stackOf(t)
	host, port, _ := net.SplitHostPort(st.addr)
	for _, p := range personas {
		kv := keyValues(t, exec.Command(python, filepath.Join("testdata", "clients", "check_psycopg.py"), host, port, p.email, token(t, p.email)))
		if kv["param_count"] == "" || kv["param_count"] == "0" {
			t.Errorf("%s: count with parameters %q", p.email, kv["param_count"])
		}
		checkStates(t, p.email, kv["states"], p.states)
		if kv["types"] != "int,float,datetime" || kv["email_error"] != "42703" {
			t.Errorf("%s: types %q, EMAIL %q", p.email, kv["types"], kv["email_error"])
		}
		if strings.Contains(kv["people_columns"], "EMAIL") || !strings.Contains(kv["people_columns"], "STATE") {
			t.Errorf("%s: information_schema.columns %q", p.email, kv["people_columns"])
		}
		if n, total, _ := strings.Cut(kv["named_cursor"], "/"); n != total || n == "" {
			t.Errorf("%s: the named cursor read %q", p.email, kv["named_cursor"])
		}
	}
}

// TestODBC: unixODBC's isql with psqlODBC, through a DSN the test writes:
// SQLTables, SQLColumns, a query with its notices.
func TestODBC(t *testing.T) {
	isql := client(t, "isql", "unixodbc")
	driver := "/usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so"
	if _, err := os.Stat(driver); err != nil {
		client(t, driver, "odbc-postgresql")
	}
	st := stackOf(t)
	host, port, _ := net.SplitHostPort(st.addr)
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("odbcinst.ini", "[PostgreSQL Unicode]\nDriver="+driver+"\n")
	write("odbc.ini", "[agentlayer]\nDriver=PostgreSQL Unicode\nServername="+host+"\nPort="+port+"\nDatabase=agentlayer\nSSLMode=disable\n")
	for _, p := range personas {
		cmd := exec.Command(isql, "agentlayer", p.email, token(t, p.email), "-b", "-d|")
		cmd.Env = append(os.Environ(), "ODBCSYSINI="+dir, "ODBCINI="+filepath.Join(dir, "odbc.ini"))
		cmd.Stdin = strings.NewReader("help\nhelp PEOPLE\nSELECT p.STATE, count(*) FROM ORDERS o JOIN PEOPLE p ON o.USER_ID = p.ID GROUP BY 1 ORDER BY 1\n")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: isql: %v\n%s", p.email, err, out)
		}
		var tables, columns, states []string
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Split(line, "|")
			switch {
			case len(f) >= 4 && f[3] == "TABLE":
				tables = append(tables, f[2])
			case len(f) > 10 && f[2] == "PEOPLE":
				columns = append(columns, f[3])
			case len(f) == 2 && len(f[0]) == 2:
				states = append(states, f[0])
			}
		}
		if strings.Join(tables, ",") != p.tables {
			t.Errorf("%s: SQLTables %v, want %s\n%s", p.email, tables, p.tables, out)
		}
		if c := strings.Join(columns, ","); strings.Contains(c, "EMAIL") || !strings.Contains(c, "STATE") {
			t.Errorf("%s: SQLColumns(PEOPLE) %v", p.email, columns)
		}
		checkStates(t, p.email, strings.Join(states, ","), p.states)
	}
}
