package pgwire_test

import (
	"fmt"
	"strings"
)

// toSQL writes a JSON table request as semantic SQL, as a person would:
// false when SQL cannot say it (metrics, relative dates, extractions, the
// caller's values, JSON's not-equals, which keeps NULLs, …). Rows come in
// the JSON answer's order: the request's limit, or the engine's default
// (200 rows of a table query that gives none), is the statement's.
func toSQL(req map[string]any, n *modelNames) (string, bool) {
	if req["metric_id"] != nil || req["table_id"] == nil {
		return "", false
	}
	id, _ := req["table_id"].(float64)
	table, ok := n.tables[id]
	if !ok {
		return "", false
	}
	w := &sqlWriter{n: n, table: table, joins: map[string]string{}}
	var sel, group, order, where []string
	for _, g := range list(req["group_by"]) {
		g := g.(map[string]any)
		col, ok := w.field(g["field_id"], g["field_granularity"], true)
		if !ok {
			return "", false
		}
		sel = append(sel, col)
		group = append(group, fmt.Sprint(len(group)+1))
	}
	aggs := list(req["aggregations"])
	seen := map[string]bool{}
	for _, a := range aggs {
		// SQL computes an aggregate asked twice once (so a request past the
		// cost bound only by its repeats is answered): not the JSON path's.
		key := fmt.Sprint(a)
		if seen[key] {
			return "", false
		}
		seen[key] = true
	}
	var aggTexts []string
	for i, a := range aggs {
		agg, ok := w.aggregation(a.(map[string]any))
		if !ok {
			return "", false
		}
		aggTexts = append(aggTexts, agg)
		sel = append(sel, agg)
		if s, _ := a.(map[string]any)["sort_order"].(string); s != "" {
			order = append(order, fmt.Sprintf("%d %s NULLS LAST", len(group)+i+1, strings.ToUpper(s)))
		}
	}
	for _, f := range list(req["fields"]) {
		f := f.(map[string]any)
		col, ok := w.field(f["field_id"], f["bucket"], false)
		if !ok {
			return "", false
		}
		sel = append(sel, col)
	}
	if len(sel) == 0 {
		sel = []string{"*"} // every field the caller sees
	}
	for _, f := range list(req["filters"]) {
		cond, ok := w.filter(f.(map[string]any))
		if !ok {
			return "", false
		}
		where = append(where, cond)
	}
	for _, o := range list(req["order_by"]) {
		o := o.(map[string]any)
		col := ""
		if i, ok := o["aggregation"].(float64); ok {
			col = fmt.Sprint(len(group) + int(i) + 1)
		} else {
			field, _ := o["field"].(map[string]any)
			c, ok := w.field(field["field_id"], field["bucket"], false)
			if !ok {
				return "", false
			}
			col = c
		}
		dir, _ := o["direction"].(string)
		nulls := " NULLS LAST"
		switch o["nulls"] {
		case "first":
			nulls = " NULLS FIRST"
		case nil, "last":
		default:
			return "", false
		}
		order = append(order, strings.TrimSpace(col+" "+strings.ToUpper(dir))+nulls)
	}
	// The engine's default limit and row caps (a SQL client's cap is its
	// own, --sql-max-rows).
	limit, most := 200, 2000
	if len(aggs) > 0 || len(group) > 0 {
		most = 10000
	}
	if l, ok := req["limit"].(float64); ok {
		limit = min(int(l), most)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "SELECT %s FROM %s t0", strings.Join(sel, ", "), table)
	for _, rel := range sortedKeys(w.joins) {
		b.WriteString(w.joins[rel])
	}
	if len(where) > 0 {
		fmt.Fprintf(&b, " WHERE %s", strings.Join(where, " AND "))
	}
	if len(group) > 0 {
		fmt.Fprintf(&b, " GROUP BY %s", strings.Join(group, ", "))
	}
	var having []string
	for _, h := range list(req["having"]) {
		h := h.(map[string]any)
		i, ok := h["aggregation"].(float64)
		if !ok || int(i) >= len(aggTexts) {
			return "", false
		}
		x := aggTexts[int(i)]
		op, _ := h["operation"].(string)
		vals := list(h["values"])
		if v, ok := h["value"]; ok {
			vals = append([]any{v}, vals...)
		}
		switch {
		case op == "is-null" || op == "is-not-null":
			having = append(having, x+" "+strings.ToUpper(strings.ReplaceAll(op, "-", " ")))
		case op == "between" && len(vals) == 2:
			having = append(having, fmt.Sprintf("%s BETWEEN %v AND %v", x, vals[0], vals[1]))
		case (ops[op] != "" || op == "not-equals") && len(vals) == 1:
			sqlOp := ops[op]
			if op == "not-equals" {
				sqlOp = "<>"
			}
			having = append(having, fmt.Sprintf("%s %s %v", x, sqlOp, vals[0]))
		default:
			return "", false
		}
	}
	if len(having) > 0 {
		fmt.Fprintf(&b, " HAVING %s", strings.Join(having, " AND "))
	}
	if len(order) > 0 {
		fmt.Fprintf(&b, " ORDER BY %s", strings.Join(order, ", "))
	}
	fmt.Fprintf(&b, " LIMIT %d", limit)
	return b.String(), true
}

func list(v any) []any { l, _ := v.([]any); return l }

type sqlWriter struct {
	n     *modelNames
	table string
	joins map[string]string // relationship → its LEFT JOIN
}

// column names a field: t0.TOTAL, or USER.STATE through a join.
func (w *sqlWriter) column(id any) (string, bool) {
	s, ok := id.(string)
	if !ok {
		return "", false
	}
	ref, known := w.n.fields[s]
	if !known && !w.n.refs[w.table+"."+s] {
		return "", false // a display name, or a name of another table's
	}
	if !known {
		ref = s
	}
	rel, field, related := strings.Cut(ref, ".")
	if !related {
		return "t0." + quote(ref), true
	}
	target, ok := w.n.joins[w.table+"."+rel]
	if !ok || strings.Contains(field, ".") {
		return "", false
	}
	name, by, _ := strings.Cut(target, " ")
	alias := "j_" + strings.ToLower(rel)
	w.joins[rel] = fmt.Sprintf(" LEFT JOIN %s %s ON t0.%s = %s.ID", name, alias, quote(by), alias)
	return alias + "." + quote(field), true
}

func quote(name string) string { return `"` + name + `"` }

var truncations = map[string]bool{"minute": true, "hour": true, "day": true, "week": true, "month": true, "quarter": true, "year": true}

func (w *sqlWriter) field(id, bucket any, group bool) (string, bool) {
	col, ok := w.column(id)
	if !ok {
		return "", false
	}
	b, _ := bucket.(string)
	switch {
	case b == "":
		return col, true
	case truncations[b]:
		return fmt.Sprintf("date_trunc('%s', %s)", b, col), true
	}
	return "", false
}

func (w *sqlWriter) aggregation(a map[string]any) (string, bool) {
	var out string
	switch fn, _ := a["function"].(string); {
	case a["measure_id"] != nil:
		name, ok := w.n.measures[a["measure_id"].(float64)]
		if !ok {
			return "", false
		}
		out = fmt.Sprintf("MEASURE(%s)", quote(name))
	case fn == "count":
		out = "count(*)"
	case fn == "count-distinct":
		col, ok := w.field(a["field_id"], a["bucket"], false)
		if !ok {
			return "", false
		}
		out = fmt.Sprintf("count(DISTINCT %s)", col)
	case fn == "sum" || fn == "avg" || fn == "min" || fn == "max":
		col, ok := w.field(a["field_id"], a["bucket"], false)
		if !ok {
			return "", false
		}
		out = fmt.Sprintf("%s(%s)", fn, col)
	default:
		return "", false
	}
	if f, ok := a["filter"].(map[string]any); ok {
		cond, ok := w.filter(f)
		if !ok {
			return "", false
		}
		out += " FILTER (WHERE " + cond + ")"
	}
	return out, true
}

var ops = map[string]string{"equals": "=", "greater-than": ">", "greater-than-or-equal": ">=", "less-than": "<", "less-than-or-equal": "<="}

func (w *sqlWriter) filter(f map[string]any) (string, bool) {
	for _, tree := range []string{"and", "or"} {
		if parts := list(f[tree]); parts != nil {
			var conds []string
			for _, p := range parts {
				c, ok := w.filter(p.(map[string]any))
				if !ok {
					return "", false
				}
				conds = append(conds, c)
			}
			return "(" + strings.Join(conds, " "+strings.ToUpper(tree)+" ") + ")", len(conds) > 0
		}
	}
	if inner, ok := f["not"].(map[string]any); ok {
		c, ok := w.filter(inner)
		return "NOT (" + c + ")", ok
	}
	if id, ok := f["segment_id"].(float64); ok {
		name, ok := w.n.segments[id]
		return fmt.Sprintf("SEGMENT(%s)", quote(name)), ok
	}
	if f["unit"] != nil || (f["value"] != nil && f["values"] != nil) {
		return "", false
	}
	col, ok := w.field(f["field_id"], f["bucket"], false)
	if !ok {
		return "", false
	}
	op, _ := f["operation"].(string)
	vals := list(f["values"])
	if v, ok := f["value"]; ok {
		vals = []any{v}
	}
	lits := make([]string, len(vals))
	for i, v := range vals {
		switch x := v.(type) {
		case string:
			lits[i] = "'" + strings.ReplaceAll(x, "'", "''") + "'"
		case float64, bool:
			lits[i] = fmt.Sprint(x)
		default:
			return "", false // the caller's value
		}
	}
	if f["case_sensitive"] == true && !strings.HasPrefix(op, "string-") {
		return "", false
	}
	switch {
	case (op == "is-null" || op == "is-not-null") && len(vals) == 0 && f["value"] == nil:
		return col + " " + strings.ToUpper(strings.ReplaceAll(op, "-", " ")), true
	case op == "between" && len(lits) == 2:
		return fmt.Sprintf("%s BETWEEN %s AND %s", col, lits[0], lits[1]), true
	case op == "equals" && len(lits) > 1:
		return fmt.Sprintf("%s IN (%s)", col, strings.Join(lits, ", ")), true
	case ops[op] != "" && len(lits) == 1:
		return fmt.Sprintf("%s %s %s", col, ops[op], lits[0]), true
	case len(lits) == 1 && strings.HasPrefix(op, "string-") && !strings.Contains(op, "not") && !strings.Contains(op, "empty"):
		pattern := strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.Trim(lits[0], "'"))
		switch op {
		case "string-contains":
			pattern = "%" + pattern + "%"
		case "string-starts-with":
			pattern += "%"
		case "string-ends-with":
			pattern = "%" + pattern
		}
		like := "ILIKE"
		if f["case_sensitive"] == true {
			like = "LIKE"
		}
		return fmt.Sprintf("%s %s '%s'", col, like, pattern), true
	}
	return "", false
}
