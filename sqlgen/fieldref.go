package sqlgen

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/agentlayer/agentlayer/internal/suggest"
	"github.com/agentlayer/agentlayer/semantic"
)

// maxCandidates is how many alternatives an error about a field lists.
const maxCandidates = 8

// A field reference is an id (t1-16, c1-16) or a name relative to the
// query's table or metric, case-insensitive: a field of the table
// ("TOTAL"), a relationship and a field of the table it references
// ("USER.STATE"), a display name ("Total", "User → State"), or the name of
// a related table's field that no other candidate has ("STATE"). Ids and
// names resolve to the same Column, whose ID is the canonical id under the
// query's prefix.

// column resolves a field reference of the request's table or metric. A
// field the caller may not see is not found, exactly like one that does
// not exist, and is never offered as a candidate.
func (co *compiler) column(ref, path string) (QueryField, error) {
	if ref == "" {
		return QueryField{}, invalid(path, "%s is required", path)
	}
	prefix, n, isID := semantic.ParseFieldID(ref)
	if !isID {
		return co.byName(ref, path)
	}
	if prefix != co.prefix {
		// As in Metabase, an id of another prefix is refused, even when it
		// numbers the same column (c1-16 of a metric over table 1, in a
		// query of table 1): the error names the id here.
		e := &Error{Kind: KindPrefixMismatch, Path: path, Message: fmt.Sprintf("field %s does not match expected prefix %s: ids of this query are %s<n>", ref, co.prefix, co.prefix)}
		if same := co.sameField(prefix, n); len(same) > 0 {
			e.Message += fmt.Sprintf("; the same field here is %s", same[0])
			return QueryField{}, e.with(same...)
		}
		return QueryField{}, e.with(co.nearest("", n)...)
	}
	return co.byIndex(n, ref, path)
}

// byIndex is entry n of the wide column list, if the caller sees it.
func (co *compiler) byIndex(n int, ref, path string) (QueryField, error) {
	w, ok := co.table.WideField(n)
	if !ok || !WideVisible(co.a, w) {
		return QueryField{}, NotFound(path, "field %s not found - no column at index %d", ref, n).with(co.nearest("", n)...)
	}
	return QueryField{Wide: w, ID: co.prefix.ID(n)}, nil
}

// sameField lists the ids, in this query, of the field another table's id
// names (t2-7, PEOPLE.STATE, is t1-16 from ORDERS), among those the caller
// sees.
func (co *compiler) sameField(prefix semantic.IDPrefix, n int) []string {
	if co.c == nil {
		return nil
	}
	var target *semantic.Field
	for _, t := range co.c.Model.Tables {
		if semantic.TablePrefix(t.ID) == prefix {
			if w, ok := t.WideField(n); ok {
				target = w.Field
			}
		}
	}
	for _, m := range co.c.Model.Metrics {
		if semantic.MetricPrefix(m.ID) == prefix {
			if w, ok := m.Table.WideField(n); ok {
				target = w.Field
			}
		}
	}
	if target == nil {
		return nil
	}
	var out []string
	for _, w := range co.table.Wide() {
		if w.Field == target && WideVisible(co.a, w) {
			out = append(out, co.candidate(w))
		}
	}
	return out
}

// byName resolves a name reference: a field of the table, then
// relationship.field, then a display name, then the name of one related
// table's field. An ambiguous name lists what it could mean; an unknown
// one, the nearest names.
func (co *compiler) byName(ref, path string) (QueryField, error) {
	want := normalName(ref)
	dotted := strings.Contains(want, ".")
	// A name resolves against the model first, not against what the caller
	// sees: a field of the table the caller may not see answers as one
	// that does not exist, never as another field of the same name (a
	// related table's), which would make one request mean different
	// columns for different users.
	for _, w := range co.table.Wide() {
		if w.Via == nil && (normalName(w.Field.Name) == want || normalName(w.Field.DisplayName) == want) && !WideVisible(co.a, w) {
			return QueryField{}, co.unknownName(ref, path)
		}
	}
	steps := []func(w semantic.WideField) bool{
		func(w semantic.WideField) bool { return w.Via == nil && normalName(w.Field.Name) == want },
		func(w semantic.WideField) bool { return dotted && w.Via != nil && normalName(w.Name()) == want },
		func(w semantic.WideField) bool { return normalName(w.DisplayName()) == want },
		// A related table's field by its own name, when no field of the
		// table has it: STATE from ORDERS is the customer's.
		func(w semantic.WideField) bool {
			return w.Via != nil && (normalName(w.Field.Name) == want || normalName(w.Field.DisplayName) == want)
		},
	}
	for _, match := range steps {
		var found []semantic.WideField
		for _, w := range co.table.Wide() {
			if WideVisible(co.a, w) && match(w) {
				found = append(found, w)
			}
		}
		switch len(found) {
		case 0:
			continue
		case 1:
			return QueryField{Wide: found[0], ID: co.prefix.ID(found[0].Index)}, nil
		}
		var candidates []string
		for _, w := range found {
			candidates = append(candidates, co.candidate(w))
		}
		return QueryField{}, (&Error{Kind: KindInvalidFieldID, Path: path,
			Message: fmt.Sprintf("%q names %d fields of %s: give one of their ids", ref, len(found), co.table.Name)}).with(candidates...)
	}
	return QueryField{}, co.unknownName(ref, path)
}

// unknownName is the error of a name that names no field the caller sees.
func (co *compiler) unknownName(ref, path string) error {
	return (&Error{Kind: KindInvalidFieldID, Path: path, Message: fmt.Sprintf(
		"Invalid field_id format: %s is neither a field id (%s<n>) nor the name of a field of %s (%s)", ref, co.prefix, co.table.Name, co.nameExamples())}).
		with(co.nearest(ref, -1)...)
}

// nameExamples shows how fields of the query's table are named, by fields
// the caller sees: "TOTAL, USER.STATE, or a display name".
func (co *compiler) nameExamples() string {
	var own, related string
	for _, w := range co.table.Wide() {
		if !WideVisible(co.a, w) {
			continue
		}
		key := w.Field.SemanticType == "type/PK" || w.Field.References != nil
		switch {
		case key:
		case own == "" && w.Via == nil:
			own = w.Name()
		case related == "" && w.Via != nil:
			related = w.Name()
		}
	}
	var parts []string
	for _, n := range []string{own, related} {
		if n != "" {
			parts = append(parts, n)
		}
	}
	return strings.Join(append(parts, "or a display name"), ", ")
}

// normalName folds a name for matching: case, surrounding spaces, runs of
// spaces, and -> for →.
func normalName(s string) string {
	s = strings.ReplaceAll(strings.ToLower(s), "->", "→")
	s = strings.ReplaceAll(s, "→", " → ")
	return strings.Join(strings.Fields(s), " ")
}

// candidate writes a field for an error: t1-16 (User → State).
func (co *compiler) candidate(w semantic.WideField) string {
	return fmt.Sprintf("%s (%s)", co.prefix.ID(w.Index), w.DisplayName())
}

// nearest lists the visible fields nearest to a reference: by edit
// distance to name (their names, reference names and display names), or,
// with name "", by distance of their index to index.
func (co *compiler) nearest(name string, index int) []string {
	type scored struct {
		w     semantic.WideField
		score int
	}
	var all []scored
	lower := normalName(name)
	for _, w := range co.table.Wide() {
		if !WideVisible(co.a, w) {
			continue
		}
		s := abs(w.Index - index)
		if name != "" {
			s = suggest.Distance(lower, normalName(w.Field.Name))
			for _, alt := range []string{w.DisplayName(), referenceName(w)} {
				s = min(s, suggest.Distance(lower, normalName(alt)))
			}
		}
		all = append(all, scored{w, s})
	}
	slices.SortStableFunc(all, func(a, b scored) int { return cmp.Compare(a.score, b.score) })
	var out []string
	for i := 0; i < len(all) && i < maxCandidates; i++ {
		out = append(out, co.candidate(all[i].w))
	}
	return out
}

// referenceName is how a request names a field by name: TOTAL, or
// USER.STATE for a related one.
func referenceName(w semantic.WideField) string { return w.Name() }

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
