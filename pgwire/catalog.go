package pgwire

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	_ "github.com/duckdb/duckdb-go/v2" // the catalog engine

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/agentlayer/agentlayer/sqlfront"
)

// userCatalog is what a connection's user sees, for the mapping and for
// the catalog engine, as of one model generation.
type userCatalog struct {
	gen   int
	front *sqlfront.Catalog
	key   string // a digest of front: users who see the same share a catalog engine
}

// catalog is the user's catalog, built again after a reload.
func (c *conn) catalog() (*userCatalog, error) {
	e := c.s.opts.Engine
	gen := e.Version().Generation
	if c.cat != nil && c.cat.gen == gen {
		return c.cat, nil
	}
	sch, err := e.Schema(context.Background(), c.p)
	if err != nil {
		return nil, err
	}
	front := &sqlfront.Catalog{}
	for _, d := range sch.Details {
		t := &sqlfront.Table{ID: d.ID, Name: d.Name, Description: d.Description}
		for _, f := range d.Fields {
			typ := baseType(f.BaseType, false)
			if f.Masked != "" {
				typ = sqlfront.TypeText
			}
			t.Fields = append(t.Fields, sqlfront.Field{Name: f.Name, Description: f.Description, Type: typ, Key: f.SemanticType == "type/PK"})
		}
		for _, r := range d.RelatedTables {
			t.Relationships = append(t.Relationships, sqlfront.Relationship{Name: r.Relationship, By: r.RelatedBy, Table: r.Name})
		}
		for _, m := range d.Measures {
			t.Measures = append(t.Measures, sqlfront.Named{ID: m.ID, Name: m.Name})
		}
		for _, s := range d.Segments {
			t.Segments = append(t.Segments, sqlfront.Named{ID: s.ID, Name: s.Name})
		}
		for _, m := range d.Metrics {
			t.Metrics = append(t.Metrics, sqlfront.Named{ID: m.ID, Name: m.Name})
		}
		front.Tables = append(front.Tables, t)
	}
	data, _ := json.Marshal(front)
	sum := sha256.Sum256(data)
	c.cat = &userCatalog{gen: gen, front: front, key: hex.EncodeToString(sum[:])}
	return c.cat, nil
}

// catalogs are the catalog engines, one per distinct catalog, a few kept.
type catalogs struct {
	mu  sync.Mutex
	dbs map[string]*sql.DB
}

const keptCatalogs = 32

func newCatalogs() *catalogs { return &catalogs{dbs: map[string]*sql.DB{}} }

func (cs *catalogs) close() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for k, db := range cs.dbs {
		db.Close()
		delete(cs.dbs, k)
	}
}

// get gives the catalog engine of a catalog: an in-memory DuckDB holding
// its pg_catalog and information_schema relations, with no access to
// files or the network, and its settings locked.
func (cs *catalogs) get(uc *userCatalog, user string) (*sql.DB, error) {
	key := uc.key + "/" + user
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if db := cs.dbs[key]; db != nil {
		return db, nil
	}
	if len(cs.dbs) >= keptCatalogs {
		for k, db := range cs.dbs {
			db.Close()
			delete(cs.dbs, k)
			break
		}
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(2)
	for _, stmt := range catalogDDL(uc.front, user) {
		if _, err := db.Exec(stmt); err != nil {
			db.Close()
			return nil, fmt.Errorf("catalog engine: %w (%s)", err, stmt)
		}
	}
	cs.dbs[key] = db
	return db, nil
}

// catalogQuery answers a query of the catalogs from the user's own.
func (c *conn) catalogQuery(st *sqlfront.Parsed, params []*string) ([]column, [][]any, error) {
	uc, err := c.catalog()
	if err != nil {
		return nil, nil, err
	}
	text, err := sqlfront.CatalogSQL(st.Select, c.p.Email)
	if err != nil {
		return nil, nil, err
	}
	db, err := c.s.catalog.get(uc, c.p.Email)
	if err != nil {
		return nil, nil, err
	}
	args := make([]any, len(params))
	for i, p := range params {
		if p != nil {
			args[i] = *p
		}
	}
	ctx, cancel := c.statementContext()
	defer cancel()
	rows, err := db.QueryContext(ctx, text, args...)
	if err != nil {
		// A relation or function the catalogs do not hold (policies,
		// publications, statistics, inheritance): none exists here, so the
		// answer is empty.
		c.s.log.Debug("sql: catalog query answered empty", "err", err, "sql", text)
		return emptyColumns(st.Select), [][]any{}, nil
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, nil, err
	}
	cols := make([]column, len(types))
	for i, t := range types {
		cols[i] = duckColumn(t.Name(), t.DatabaseTypeName())
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		for i, v := range vals {
			vals[i] = catalogValue(v)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		return emptyColumns(st.Select), [][]any{}, nil
	}
	if out == nil {
		out = [][]any{}
	}
	return cols, out, nil
}

// catalogValue writes a catalog engine's value as PostgreSQL would: a
// list as an array literal.
func catalogValue(v any) any {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = fmt.Sprint(p)
		}
		return "{" + strings.Join(parts, ",") + "}"
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int8:
		return int64(x)
	}
	return v
}

func duckColumn(name, typ string) column {
	switch strings.ToUpper(typ) {
	case "BIGINT", "HUGEINT", "UBIGINT":
		return column{name: name, typ: sqlfront.TypeInt8, oid: oidInt8}
	case "INTEGER", "UINTEGER":
		return column{name: name, typ: sqlfront.TypeInt8, oid: oidInt4}
	case "SMALLINT", "TINYINT", "USMALLINT", "UTINYINT":
		return column{name: name, typ: sqlfront.TypeInt8, oid: oidInt2}
	case "BOOLEAN":
		return column{name: name, typ: sqlfront.TypeBool}
	case "DOUBLE", "FLOAT":
		return column{name: name, typ: sqlfront.TypeFloat8}
	}
	if strings.HasPrefix(strings.ToUpper(typ), "DECIMAL") {
		return column{name: name, typ: sqlfront.TypeNumeric}
	}
	return column{name: name, typ: sqlfront.TypeText, oid: oidText}
}

// emptyColumns names an unanswerable catalog query's columns, as text.
func emptyColumns(sel *pg.SelectStmt) []column {
	var cols []column
	for _, n := range sel.GetTargetList() {
		rt := n.GetResTarget()
		name := rt.GetName()
		if name == "" {
			if cr := rt.GetVal().GetColumnRef(); cr != nil {
				f := cr.GetFields()
				name = f[len(f)-1].GetString_().GetSval()
			} else if fc := rt.GetVal().GetFuncCall(); fc != nil {
				f := fc.GetFuncname()
				name = f[len(f)-1].GetString_().GetSval()
			}
		}
		if name == "" {
			name = "?column?"
		}
		cols = append(cols, column{name: name})
	}
	return cols
}
