package sqlfront

import (
	"strings"
	"sync"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// CatalogSchema and InfoSchema are the schemas of the catalog engine that
// hold a caller's pg_catalog and information_schema relations, and the
// functions clients call on them (CatalogFunctions).
const (
	CatalogSchema = "pgc"
	InfoSchema    = "infs"
)

// CatalogFunctions are the functions the catalog engine defines in
// CatalogSchema, as clients call them from pg_catalog.
var CatalogFunctions = []string{
	"pg_table_is_visible", "pg_get_userbyid", "format_type", "pg_get_expr", "pg_get_indexdef",
	"pg_get_constraintdef", "obj_description", "col_description", "shobj_description", "version",
	"current_schema", "current_schemas", "current_database", "current_setting", "pg_encoding_to_char",
	"has_table_privilege", "has_schema_privilege", "has_database_privilege", "has_column_privilege",
	"pg_relation_is_publishable", "regclass", "regnamespace", "array_upper", "quote_ident",
	"pg_backend_pid", "pg_get_statisticsobjdef_columns", "pg_is_in_recovery", "txid_current",
	"regclass_oid", "regtype_oid", "regnamespace_oid", "regproc_oid",
}

// builtins are the catalog engine's own functions a catalog query may
// call: none reads a file or reaches past the catalogs.
var builtins = map[string]bool{
	"count": true, "sum": true, "min": true, "max": true, "avg": true, "coalesce": true, "nullif": true,
	"lower": true, "upper": true, "length": true, "substring": true, "substr": true, "replace": true,
	"trim": true, "btrim": true, "ltrim": true, "rtrim": true, "concat": true, "string_agg": true,
	"array_agg": true, "array_to_string": true, "unnest": true, "generate_series": true, "row_number": true,
	"rank": true, "dense_rank": true, "greatest": true, "least": true, "abs": true, "round": true,
	"position": true, "strpos": true, "split_part": true, "starts_with": true, "regexp_replace": true,
	"regexp_matches": true, "lpad": true, "rpad": true, "left": true, "right": true, "now": true,
	"bool_or": true, "bool_and": true,
}

// CatalogSQL rewrites a catalog query for the catalog engine (an
// in-memory DuckDB holding one caller's catalogs): relations of pg_catalog
// and information_schema read CatalogSchema and InfoSchema, functions are
// the catalog's or allowed built-ins, casts to reg* types look names up,
// and PostgreSQL's spellings (OPERATOR(pg_catalog.~), COLLATE) become
// DuckDB's. Any other relation or function is refused: no text a client
// sends reaches the data database, and a catalog query reads only the
// caller's catalogs. user is the caller's name, for current_user.
func CatalogSQL(sel *pg.SelectStmt, user string) (string, error) {
	sel = proto.Clone(sel).(*pg.SelectStmt)
	for _, n := range sel.GetTargetList() {
		// PostgreSQL names a function's column after the function.
		if rt := n.GetResTarget(); rt != nil && rt.GetName() == "" {
			if fc := rt.GetVal().GetFuncCall(); fc != nil {
				rt.Name = strings.ToLower(fc.GetFuncname()[len(fc.GetFuncname())-1].GetString_().GetSval())
			}
		}
	}
	var err error
	visit(sel.ProtoReflect(), func(msg protoreflect.Message) {
		if err != nil {
			return
		}
		switch x := msg.Interface().(type) {
		case *pg.RangeVar:
			err = catalogRelation(x)
		case *pg.Node:
			err = rewriteNode(x, user)
		}
	})
	if err != nil {
		return "", err
	}
	stmt := &pg.RawStmt{Stmt: &pg.Node{Node: &pg.Node_SelectStmt{SelectStmt: sel}}}
	out, derr := pg.Deparse(&pg.ParseResult{Version: parserVersion(), Stmts: []*pg.RawStmt{stmt}})
	if derr != nil {
		return "", &Error{Code: "XX000", Message: "the catalog query could not be rewritten: " + derr.Error()}
	}
	return out, nil
}

func catalogRelation(rv *pg.RangeVar) error {
	if !isCatalogRelation(rv) {
		return unsupported(rv.GetLocation(), "a query of the model's tables and of the catalogs at once", "ask each alone")
	}
	rel := strings.ToLower(rv.GetRelname())
	rv.Catalogname = ""
	if strings.EqualFold(rv.GetSchemaname(), "information_schema") {
		rv.Schemaname, rv.Relname = InfoSchema, rel
		return nil
	}
	rv.Schemaname, rv.Relname = CatalogSchema, rel
	return nil
}

func rewriteNode(n *pg.Node, user string) error {
	switch x := n.GetNode().(type) {
	case *pg.Node_FuncCall:
		return catalogFunc(x.FuncCall)
	case *pg.Node_TypeCast:
		return catalogCast(n, x.TypeCast)
	case *pg.Node_AExpr:
		return catalogOperator(n, x.AExpr)
	case *pg.Node_CollateClause:
		n.Node = x.CollateClause.GetArg().GetNode()
		return rewriteNode(n, user)
	case *pg.Node_SqlvalueFunction:
		switch x.SqlvalueFunction.GetOp() {
		case pg.SQLValueFunctionOp_SVFOP_CURRENT_USER, pg.SQLValueFunctionOp_SVFOP_SESSION_USER,
			pg.SQLValueFunctionOp_SVFOP_USER, pg.SQLValueFunctionOp_SVFOP_CURRENT_ROLE:
			n.Node = pg.MakeAConstStrNode(user, x.SqlvalueFunction.GetLocation()).GetNode()
		case pg.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:
			n.Node = pg.MakeAConstStrNode("public", x.SqlvalueFunction.GetLocation()).GetNode()
		case pg.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG:
			n.Node = pg.MakeAConstStrNode("agentlayer", x.SqlvalueFunction.GetLocation()).GetNode()
		}
	case *pg.Node_ParamRef:
		if x.ParamRef.GetNumber() < 1 {
			return errorAt("42P02", x.ParamRef.GetLocation(), "", "there is no parameter $%d", x.ParamRef.GetNumber())
		}
	case *pg.Node_SubLink, *pg.Node_RangeSubselect, *pg.Node_CommonTableExpr:
		// Subqueries of the catalogs are answered, rewritten like the rest.
	}
	return nil
}

func catalogFunc(fc *pg.FuncCall) error {
	parts := fc.GetFuncname()
	name := strings.ToLower(parts[len(parts)-1].GetString_().GetSval())
	schema := ""
	if len(parts) > 1 {
		schema = strings.ToLower(parts[0].GetString_().GetSval())
	}
	if schema == "information_schema" && name == "_pg_expandarray" {
		fc.Funcname = []*pg.Node{pg.MakeStrNode(InfoSchema), pg.MakeStrNode(name)}
		return nil
	}
	if schema != "" && schema != "pg_catalog" {
		return unsupported(fc.GetLocation(), "function "+schema+"."+name, "the catalogs' functions")
	}
	for _, f := range CatalogFunctions {
		if f == name {
			fc.Funcname = []*pg.Node{pg.MakeStrNode(CatalogSchema), pg.MakeStrNode(name)}
			return nil
		}
	}
	if builtins[name] {
		fc.Funcname = []*pg.Node{pg.MakeStrNode(name)}
		return nil
	}
	return unsupported(fc.GetLocation(), "function "+name, "")
}

// duckTypes are the catalog engine's names of PostgreSQL's types.
var duckTypes = map[string]string{
	"name": "varchar", "text": "varchar", "char": "varchar", "bpchar": "varchar", "varchar": "varchar",
	"oid": "bigint", "int2": "smallint", "int4": "integer", "int8": "bigint", "int": "integer",
	"float4": "real", "float8": "double", "bool": "boolean", "numeric": "decimal", "date": "date",
	"timestamp": "timestamp", "timestamptz": "timestamptz", "smallint": "smallint", "integer": "integer",
	"bigint": "bigint", "boolean": "boolean", "regproc": "varchar", "xid": "bigint", "int2vector": "varchar",
	"oidvector": "varchar",
}

func catalogCast(n *pg.Node, tc *pg.TypeCast) error {
	names := tc.GetTypeName().GetNames()
	t := strings.ToLower(names[len(names)-1].GetString_().GetSval())
	if _, lit := stringConst(tc.GetArg()); lit && (t == "regclass" || t == "regtype" || t == "regnamespace" || t == "regproc") {
		// 'pg_class'::regclass names a relation: its OID.
		n.Node = pg.MakeFuncCallNode([]*pg.Node{pg.MakeStrNode(CatalogSchema), pg.MakeStrNode(t + "_oid")}, []*pg.Node{tc.GetArg()}, tc.GetLocation()).GetNode()
		return nil
	}
	switch t {
	case "regclass", "regnamespace":
		n.Node = pg.MakeFuncCallNode([]*pg.Node{pg.MakeStrNode(CatalogSchema), pg.MakeStrNode(t)}, []*pg.Node{tc.GetArg()}, tc.GetLocation()).GetNode()
		return nil
	case "regtype":
		n.Node = pg.MakeFuncCallNode([]*pg.Node{pg.MakeStrNode(CatalogSchema), pg.MakeStrNode("format_type")},
			[]*pg.Node{tc.GetArg(), &pg.Node{Node: &pg.Node_AConst{AConst: &pg.A_Const{Isnull: true, Location: tc.GetLocation()}}}}, tc.GetLocation()).GetNode()
		return nil
	}
	d, ok := duckTypes[t]
	if !ok {
		return unsupported(tc.GetLocation(), "a cast to "+t, "")
	}
	tc.TypeName.Names = []*pg.Node{pg.MakeStrNode(d)}
	if len(tc.GetTypeName().GetArrayBounds()) > 0 {
		// Arrays of the catalogs are lists of the catalog engine; a cast
		// to one keeps the value.
		n.Node = tc.GetArg().GetNode()
	}
	return nil
}

// catalogOperator writes OPERATOR(pg_catalog.op) as op, and a regular
// expression match as one that ignores case: names match so.
func catalogOperator(n *pg.Node, e *pg.A_Expr) error {
	op := opName(e)
	if names := e.GetName(); len(names) > 1 {
		if !strings.EqualFold(names[0].GetString_().GetSval(), "pg_catalog") {
			return unsupported(e.GetLocation(), "an operator of schema "+names[0].GetString_().GetSval(), "")
		}
		e.Name = []*pg.Node{pg.MakeStrNode(op)}
	}
	if e.GetKind() != pg.A_Expr_Kind_AEXPR_OP {
		return nil
	}
	if e.GetLexpr() == nil && op != "-" && op != "+" {
		return unsupported(e.GetLocation(), "prefix operator "+op, "")
	}
	switch op {
	case "~", "~*", "!~", "!~*":
		if e.GetLexpr() == nil || e.GetRexpr() == nil {
			return unsupported(e.GetLocation(), "operator "+op+" with one operand", "x ~ 'pattern'")
		}
		match := pg.MakeFuncCallNode([]*pg.Node{pg.MakeStrNode("regexp_matches")},
			[]*pg.Node{e.GetLexpr(), e.GetRexpr(), pg.MakeAConstStrNode("i", e.GetLocation())}, e.GetLocation())
		if strings.HasPrefix(op, "!") {
			match = pg.MakeBoolExprNode(pg.BoolExprType_NOT_EXPR, []*pg.Node{match}, e.GetLocation())
		}
		n.Node = match.GetNode()
	}
	return nil
}

// parserVersion is the parse tree version Deparse expects: the parser's.
var parserVersion = sync.OnceValue(func() int32 {
	tree, err := pg.Parse("SELECT 1")
	if err != nil {
		return 0
	}
	return tree.GetVersion()
})
