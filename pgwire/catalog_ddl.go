package pgwire

import (
	"fmt"
	"strings"

	"github.com/agentlayer/agentlayer/sqlfront"
)

// The catalogs' fixed OIDs.
const (
	oidCatalogNS = 11
	oidPublicNS  = 2200
	oidInfoNS    = 13000
	oidOwner     = 10
	firstOID     = 16384 // the first of a user's relations: dense from here
)

// pgTypes are the types the catalogs list: oid, name, format_type's
// words, length, category.
var pgTypes = []struct {
	oid             uint32
	name, formatted string
	length          int
	category        string
}{
	{oidBool, "bool", "boolean", 1, "B"}, {oidInt8, "int8", "bigint", 8, "N"}, {oidInt2, "int2", "smallint", 2, "N"},
	{oidInt4, "int4", "integer", 4, "N"}, {oidText, "text", "text", -1, "S"}, {26, "oid", "oid", 4, "N"},
	{19, "name", "name", 64, "S"}, {18, "char", "\"char\"", 1, "S"}, {oidFloat4, "float4", "real", 4, "N"},
	{oidFloat8, "float8", "double precision", 8, "N"}, {oidVarchar, "varchar", "character varying", -1, "S"},
	{oidDate, "date", "date", 4, "D"}, {oidTimestamp, "timestamp", "timestamp without time zone", 8, "D"},
	{oidTimestampTZ, "timestamptz", "timestamp with time zone", 8, "D"}, {oidNumeric, "numeric", "numeric", -1, "N"},
}

// catalogDDL builds a user's catalogs: the tables they see as relations
// of schema public, with dense OIDs and attribute numbers (a gap would
// tell of a hidden column), keys, relationships to tables they see as
// foreign keys, and the model's descriptions.
func catalogDDL(c *sqlfront.Catalog, user string) []string {
	out := []string{
		"SET enable_external_access = false",
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
		"CREATE SCHEMA " + sqlfront.CatalogSchema,
		"CREATE SCHEMA " + sqlfront.InfoSchema,
	}
	out = append(out, catalogTables...)
	oids := map[string]int{}
	for i, t := range c.Tables {
		oids[strings.ToLower(t.Name)] = firstOID + i
	}
	next := firstOID + len(c.Tables)
	pkIndex := map[string]int{}
	ins := func(table string, vals ...any) {
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = literal(v)
		}
		out = append(out, fmt.Sprintf("INSERT INTO %s.%s VALUES (%s)", sqlfront.CatalogSchema, table, strings.Join(parts, ", ")))
	}
	insInfo := func(table string, vals ...any) {
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = literal(v)
		}
		out = append(out, fmt.Sprintf("INSERT INTO %s.%s VALUES (%s)", sqlfront.InfoSchema, table, strings.Join(parts, ", ")))
	}
	for _, ns := range []struct {
		oid  int
		name string
	}{{oidCatalogNS, "pg_catalog"}, {oidPublicNS, "public"}, {oidInfoNS, "information_schema"}} {
		ins("pg_namespace", ns.oid, ns.name, oidOwner, nil)
		insInfo("schemata", "agentlayer", ns.name, user)
	}
	for _, t := range pgTypes {
		ins("pg_type", t.oid, t.name, t.formatted, oidCatalogNS, t.length, "b", t.category, 0, -1, false, 0, 0, 0, 0, ",", oidOwner, 0)
	}
	ins("pg_am", 2, "heap", "t")
	ins("pg_am", 403, "btree", "i")
	ins("pg_database", 16000, "agentlayer", oidOwner, 6, "C", "C", true, false, nil, -1)
	ins("pg_roles", oidOwner, user, false, true, false, false, false, -1)
	ins("pg_user", user, oidOwner, false)
	for _, s := range [][2]string{{"server_version", ServerVersion}, {"server_version_num", "150000"}, {"max_index_keys", "32"}, {"max_identifier_length", "63"}, {"server_encoding", "UTF8"},
		{"client_encoding", "UTF8"}, {"standard_conforming_strings", "on"},
		{"default_transaction_read_only", "on"}, {"TimeZone", "UTC"}, {"DateStyle", "ISO, MDY"}, {"integer_datetimes", "on"}} {
		ins("pg_settings", s[0], s[1], nil, "agentlayer", "")
	}
	for i, t := range c.Tables {
		oid := oidOf2(oids, t.Name)
		key, hasKey := t.Key()
		ins("pg_class", oid, t.Name, oidPublicNS, "r", oidOwner, 2, 0, hasKey, false, false, false, false, false, 0, 0, "p", "d", 0, nil, 0, 0, nil, nil, len(t.Fields), false, 0, oid, false)
		insInfo("tables", "agentlayer", "public", t.Name, "BASE TABLE", nil, nil, nil, nil, nil, "NO", "NO", nil)
		if t.Description != "" {
			ins("pg_description", oid, 1259, 0, t.Description)
		}
		keyNum := 0
		for j, f := range t.Fields {
			num := j + 1
			typ := oidOf(f.Type)
			ins("pg_attribute", oid, f.Name, typ, -1, num, f.Key, false, false, 0, "", "", typeSize(typ), -1, 0, true, nil, false)
			insInfo("columns", "agentlayer", "public", t.Name, f.Name, num, nil, yesNo(!f.Key), formatted(typ), nil, nil, nil, nil, pgTypeName(typ), f.Description)
			if f.Description != "" {
				ins("pg_description", oid, 1259, num, f.Description)
			}
			if f.Key {
				keyNum = num
			}
		}
		if hasKey {
			idx := next
			next++
			pkIndex[strings.ToLower(t.Name)] = idx
			ins("pg_class", idx, t.Name+"_pkey", oidPublicNS, "i", oidOwner, 403, 0, false, false, false, false, false, false, 0, 0, "p", "n", 0, nil, 0, 0, nil, nil, 1, false, 0, idx, false)
			ins("pg_index", idx, oid, 1, true, true, false, true, false, fmt.Sprint(keyNum), nil, nil, true, false, "0", true, true,
				fmt.Sprintf("CREATE UNIQUE INDEX %s ON public.%s USING btree (%s)", quoteIdent(t.Name+"_pkey"), quoteIdent(t.Name), quoteIdent(key.Name)))
			ins("pg_constraint", next, t.Name+"_pkey", oidPublicNS, "p", false, false, true, oid, idx, 0, " ", " ", " ", []int{keyNum}, nil,
				fmt.Sprintf("PRIMARY KEY (%s)", quoteIdent(key.Name)), true, 0, true, 0, 0)
			next++
		}
		_ = i
	}
	for _, t := range c.Tables {
		oid := oidOf2(oids, t.Name)
		for _, r := range t.Relationships {
			target := c.Table(r.Table)
			by := attnum(t, r.By)
			if target == nil || by == 0 {
				continue
			}
			tk, ok := target.Key()
			if !ok {
				continue
			}
			ins("pg_constraint", next, fmt.Sprintf("%s_%s_fkey", t.Name, r.Name), oidPublicNS, "f", false, false, true, oid, pkIndex[strings.ToLower(target.Name)],
				oidOf2(oids, target.Name), "a", "a", "s", []int{by}, []int{attnum(target, tk.Name)},
				fmt.Sprintf("FOREIGN KEY (%s) REFERENCES %s(%s)", quoteIdent(r.By), quoteIdent(target.Name), quoteIdent(tk.Name)), true, 0, true, 0, 0)
			next++
		}
	}
	out = append(out, catalogMacros(user)...)
	out = append(out, "SET lock_configuration = true")
	return out
}

func oidOf2(oids map[string]int, name string) int { return oids[strings.ToLower(name)] }

func attnum(t *sqlfront.Table, field string) int {
	for i, f := range t.Fields {
		if strings.EqualFold(f.Name, field) {
			return i + 1
		}
	}
	return 0
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}

func formatted(oid uint32) string {
	for _, t := range pgTypes {
		if t.oid == oid {
			return t.formatted
		}
	}
	return "text"
}

func pgTypeName(oid uint32) string {
	for _, t := range pgTypes {
		if t.oid == oid {
			return t.name
		}
	}
	return "text"
}

func quoteIdent(s string) string {
	if strings.ToLower(s) == s && !strings.ContainsAny(s, ` "-.`) {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// literal writes a value as a SQL literal of the catalog engine.
func literal(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	case bool:
		if x {
			return "true"
		}
		return "false"
	case []int:
		parts := make([]string, len(x))
		for i, n := range x {
			parts[i] = fmt.Sprint(n)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}

// catalogTables are the relations of pg_catalog and information_schema
// the catalog engine holds, with the columns clients read.
var catalogTables = func() []string {
	s, i := sqlfront.CatalogSchema, sqlfront.InfoSchema
	defs := []string{
		s + ".pg_namespace(oid BIGINT, nspname VARCHAR, nspowner BIGINT, nspacl VARCHAR)",
		s + ".pg_type(oid BIGINT, typname VARCHAR, formatted VARCHAR, typnamespace BIGINT, typlen SMALLINT, typtype VARCHAR, typcategory VARCHAR, typbasetype BIGINT, typtypmod INTEGER, typnotnull BOOLEAN, typelem BIGINT, typarray BIGINT, typrelid BIGINT, typcollation BIGINT, typdelim VARCHAR, typowner BIGINT, typndims INTEGER)",
		s + ".pg_class(oid BIGINT, relname VARCHAR, relnamespace BIGINT, relkind VARCHAR, relowner BIGINT, relam BIGINT, relchecks INTEGER, relhasindex BOOLEAN, relhasrules BOOLEAN, relhastriggers BOOLEAN, relrowsecurity BOOLEAN, relforcerowsecurity BOOLEAN, relispartition BOOLEAN, reltablespace BIGINT, reloftype BIGINT, relpersistence VARCHAR, relreplident VARCHAR, reltoastrelid BIGINT, relpartbound VARCHAR, reltuples DOUBLE, relpages INTEGER, relacl VARCHAR, reloptions VARCHAR, relnatts INTEGER, relhassubclass BOOLEAN, reltype BIGINT, relfilenode BIGINT, relisshared BOOLEAN)",
		s + ".pg_attribute(attrelid BIGINT, attname VARCHAR, atttypid BIGINT, atttypmod INTEGER, attnum SMALLINT, attnotnull BOOLEAN, atthasdef BOOLEAN, attisdropped BOOLEAN, attcollation BIGINT, attidentity VARCHAR, attgenerated VARCHAR, attlen SMALLINT, attstattarget INTEGER, attinhcount INTEGER, attislocal BOOLEAN, attacl VARCHAR, atthasmissing BOOLEAN)",
		s + ".pg_index(indexrelid BIGINT, indrelid BIGINT, indnatts INTEGER, indisunique BOOLEAN, indisprimary BOOLEAN, indisclustered BOOLEAN, indisvalid BOOLEAN, indisreplident BOOLEAN, indkey VARCHAR, indexprs VARCHAR, indpred VARCHAR, indimmediate BOOLEAN, indisexclusion BOOLEAN, indoption VARCHAR, indisready BOOLEAN, indislive BOOLEAN, indexdef VARCHAR)",
		s + ".pg_constraint(oid BIGINT, conname VARCHAR, connamespace BIGINT, contype VARCHAR, condeferrable BOOLEAN, condeferred BOOLEAN, convalidated BOOLEAN, conrelid BIGINT, conindid BIGINT, confrelid BIGINT, confupdtype VARCHAR, confdeltype VARCHAR, confmatchtype VARCHAR, conkey SMALLINT[], confkey SMALLINT[], condef VARCHAR, conislocal BOOLEAN, coninhcount INTEGER, connoinherit BOOLEAN, contypid BIGINT, conparentid BIGINT)",
		s + ".pg_description(objoid BIGINT, classoid BIGINT, objsubid INTEGER, description VARCHAR)",
		s + ".pg_am(oid BIGINT, amname VARCHAR, amtype VARCHAR)",
		s + ".pg_database(oid BIGINT, datname VARCHAR, datdba BIGINT, encoding INTEGER, datcollate VARCHAR, datctype VARCHAR, datallowconn BOOLEAN, datistemplate BOOLEAN, datacl VARCHAR, datconnlimit INTEGER)",
		s + ".pg_roles(oid BIGINT, rolname VARCHAR, rolsuper BOOLEAN, rolcanlogin BOOLEAN, rolcreaterole BOOLEAN, rolcreatedb BOOLEAN, rolreplication BOOLEAN, rolconnlimit INTEGER)",
		s + ".pg_user(usename VARCHAR, usesysid BIGINT, usesuper BOOLEAN)",
		s + ".pg_settings(name VARCHAR, setting VARCHAR, unit VARCHAR, category VARCHAR, short_desc VARCHAR)",
		s + ".pg_attrdef(oid BIGINT, adrelid BIGINT, adnum SMALLINT, adbin VARCHAR)",
		s + ".pg_collation(oid BIGINT, collname VARCHAR, collnamespace BIGINT)",
		s + ".pg_inherits(inhrelid BIGINT, inhparent BIGINT, inhseqno INTEGER, inhdetachpending BOOLEAN)",
		s + ".pg_proc(oid BIGINT, proname VARCHAR, pronamespace BIGINT, prorettype BIGINT, prokind VARCHAR, proargtypes VARCHAR)",
		s + ".pg_tablespace(oid BIGINT, spcname VARCHAR)",
		s + ".pg_trigger(oid BIGINT, tgrelid BIGINT, tgname VARCHAR, tgenabled VARCHAR, tgisinternal BOOLEAN)",
		s + ".pg_extension(oid BIGINT, extname VARCHAR, extversion VARCHAR, extnamespace BIGINT)",
		s + ".pg_enum(oid BIGINT, enumtypid BIGINT, enumlabel VARCHAR, enumsortorder DOUBLE)",
		s + ".pg_stats(schemaname VARCHAR, tablename VARCHAR, attname VARCHAR, null_frac DOUBLE, n_distinct DOUBLE, most_common_vals VARCHAR, histogram_bounds VARCHAR)",
		s + ".pg_statistic(starelid BIGINT, staattnum SMALLINT, stanullfrac DOUBLE)",
		s + ".pg_matviews(schemaname VARCHAR, matviewname VARCHAR)",
		s + ".pg_views(schemaname VARCHAR, viewname VARCHAR, definition VARCHAR)",
		s + ".pg_rewrite(oid BIGINT, rulename VARCHAR, ev_class BIGINT)",
		i + ".tables(table_catalog VARCHAR, table_schema VARCHAR, table_name VARCHAR, table_type VARCHAR, self_referencing_column_name VARCHAR, reference_generation VARCHAR, user_defined_type_catalog VARCHAR, user_defined_type_schema VARCHAR, user_defined_type_name VARCHAR, is_insertable_into VARCHAR, is_typed VARCHAR, commit_action VARCHAR)",
		i + ".columns(table_catalog VARCHAR, table_schema VARCHAR, table_name VARCHAR, column_name VARCHAR, ordinal_position INTEGER, column_default VARCHAR, is_nullable VARCHAR, data_type VARCHAR, character_maximum_length INTEGER, numeric_precision INTEGER, numeric_scale INTEGER, datetime_precision INTEGER, udt_name VARCHAR, description VARCHAR)",
		i + ".schemata(catalog_name VARCHAR, schema_name VARCHAR, schema_owner VARCHAR)",
	}
	out := make([]string, len(defs))
	for k, d := range defs {
		out[k] = "CREATE TABLE " + d
	}
	out = append(out, "CREATE VIEW "+s+".pg_tables AS SELECT 'public' AS schemaname, relname AS tablename, '' AS tableowner, NULL AS tablespace, relhasindex AS hasindexes, false AS hasrules, false AS hastriggers, false AS rowsecurity FROM "+s+".pg_class WHERE relkind = 'r'")
	return out
}()

// catalogMacros are the catalogs' functions.
func catalogMacros(user string) []string {
	s := sqlfront.CatalogSchema
	m := func(def string) string { return "CREATE MACRO " + s + "." + def }
	return []string{
		m("pg_table_is_visible(x) AS true"),
		m("pg_get_userbyid(x) AS " + literal(user)),
		m("format_type(t, m) AS (SELECT formatted FROM " + s + ".pg_type WHERE oid = t)"),
		m("pg_get_expr(a, b) AS NULL::VARCHAR, (a, b, c) AS NULL::VARCHAR"),
		m("pg_get_indexdef(a) AS (SELECT indexdef FROM " + s + ".pg_index WHERE indexrelid = a), (a, b, c) AS (SELECT indexdef FROM " + s + ".pg_index WHERE indexrelid = a)"),
		m("pg_get_constraintdef(a) AS (SELECT condef FROM " + s + ".pg_constraint WHERE oid = a), (a, b) AS (SELECT condef FROM " + s + ".pg_constraint WHERE oid = a)"),
		m("obj_description(o) AS (SELECT description FROM " + s + ".pg_description WHERE objoid = o AND objsubid = 0), (o, c) AS (SELECT description FROM " + s + ".pg_description WHERE objoid = o AND objsubid = 0)"),
		m("col_description(o, n) AS (SELECT description FROM " + s + ".pg_description WHERE objoid = o AND objsubid = n)"),
		m("shobj_description(o, c) AS NULL::VARCHAR"),
		m("version() AS 'PostgreSQL " + ServerVersion + " (agentlayer: a semantic layer; SQL over the model)'"),
		m("current_schema() AS 'public'"),
		m("current_schemas(b) AS ['pg_catalog', 'public']"),
		m("current_database() AS 'agentlayer'"),
		m("current_setting(n) AS (SELECT setting FROM " + s + ".pg_settings WHERE lower(name) = lower(n)), (n, b) AS (SELECT setting FROM " + s + ".pg_settings WHERE lower(name) = lower(n))"),
		m("pg_encoding_to_char(x) AS 'UTF8'"),
		m("has_table_privilege(a, b) AS true, (a, b, c) AS true"),
		m("has_schema_privilege(a, b) AS true, (a, b, c) AS true"),
		m("has_database_privilege(a, b) AS true, (a, b, c) AS true"),
		m("has_column_privilege(a, b, c) AS true, (a, b, c, d) AS true"),
		m("pg_relation_is_publishable(x) AS false"),
		m("regclass(x) AS (SELECT relname FROM " + s + ".pg_class WHERE oid = TRY_CAST(x AS BIGINT) OR lower(relname) = lower(CAST(x AS VARCHAR)))"),
		m("regnamespace(x) AS (SELECT nspname FROM " + s + ".pg_namespace WHERE oid = x)"),
		m("array_upper(a, d) AS len(a)"),
		m("quote_ident(x) AS CASE WHEN lower(x) = x THEN x ELSE '\"' || replace(x, '\"', '\"\"') || '\"' END"),
		m("pg_backend_pid() AS 0"),
		m("pg_get_statisticsobjdef_columns(x) AS NULL::VARCHAR"),
		m("pg_is_in_recovery() AS false"),
		m("txid_current() AS 1"),
		m("regclass_oid(x) AS coalesce((SELECT oid FROM " + s + ".pg_class WHERE lower(relname) = lower(x)), CASE lower(x) WHEN 'pg_class' THEN 1259 WHEN 'pg_attribute' THEN 1249 WHEN 'pg_type' THEN 1247 WHEN 'pg_namespace' THEN 2615 WHEN 'pg_proc' THEN 1255 WHEN 'pg_constraint' THEN 2606 WHEN 'pg_database' THEN 1262 END)"),
		m("regtype_oid(x) AS (SELECT oid FROM " + s + ".pg_type WHERE typname = lower(x) OR formatted = lower(x))"),
		m("regnamespace_oid(x) AS (SELECT oid FROM " + s + ".pg_namespace WHERE nspname = x)"),
		m("regproc_oid(x) AS NULL::BIGINT"),
		"CREATE MACRO " + sqlfront.InfoSchema + "._pg_expandarray(a) AS {'x': TRY_CAST(a AS INTEGER), 'n': 1}",
	}
}
