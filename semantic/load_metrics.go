// The loader of segments, measures and metrics.

package semantic

import (
	"fmt"
	"slices"
	"strings"

	"github.com/agentlayer/agentlayer/internal/suggest"
	"gopkg.in/yaml.v3"
)

func (l *loader) segments(rt *rawTable) {
	d := l.doc
	t := rt.t
	names := map[string]bool{}
	for _, n := range d.Seq(rt.segments, "segments") {
		keys := d.Mapping(n, "segment", "id", "name", "description", "filter")
		if keys == nil {
			continue
		}
		s := &Segment{Table: t, Pos: d.Pos(n)}
		s.ID = l.id(keys, n, "segment", func(id int) (string, bool) {
			if prev := l.m.segments[id]; prev != nil {
				return fmt.Sprintf("segment %s (line %d)", prev.Name, prev.Pos.Line), true
			}
			return "", false
		})
		s.Name = l.name(keys, n, "segment", names)
		s.Description, _ = d.String(keys["description"], "description")
		s.Filter = l.expr(t, d.Require(keys, n, "segment", "filter"), true)
		if s.ID > 0 {
			l.m.segments[s.ID] = s
		}
		t.Segments = append(t.Segments, s)
	}
}

func (l *loader) measures(rt *rawTable) {
	d := l.doc
	t := rt.t
	names := map[string]bool{}
	for _, n := range d.Seq(rt.measures, "measures") {
		keys := d.Mapping(n, "measure", "id", "name", "description", "aggregation", "filter")
		if keys == nil {
			continue
		}
		ms := &Measure{Table: t, Pos: d.Pos(n)}
		ms.ID = l.id(keys, n, "measure", func(id int) (string, bool) {
			if prev := l.m.measures[id]; prev != nil {
				return fmt.Sprintf("measure %s (line %d)", prev.Name, prev.Pos.Line), true
			}
			return "", false
		})
		ms.Name = l.name(keys, n, "measure", names)
		ms.Description, _ = d.String(keys["description"], "description")
		ms.Aggregation = l.aggregation(t, d.Require(keys, n, "measure", "aggregation"))
		if f := keys["filter"]; f != nil {
			ms.Filter = l.expr(t, f, false)
		}
		if ms.ID > 0 {
			l.m.measures[ms.ID] = ms
		}
		t.Measures = append(t.Measures, ms)
	}
}

func (l *loader) metric(n *yaml.Node) {
	d := l.doc
	keys := d.Mapping(n, "metric", "id", "name", "description", "verified", "synonyms", "table", "aggregation", "measure", "filter", "default_time_dimension")
	if keys == nil {
		return
	}
	mt := &Metric{Pos: d.Pos(n)}
	mt.ID = l.id(keys, n, "metric", func(id int) (string, bool) {
		if prev := l.m.metrics[id]; prev != nil {
			return fmt.Sprintf("metric %s (line %d)", prev.Name, prev.Pos.Line), true
		}
		return "", false
	})
	names := map[string]bool{}
	for _, other := range l.m.Metrics {
		names[other.Name] = true
	}
	mt.Name = l.name(keys, n, "metric", names)
	mt.Description, _ = d.String(keys["description"], "description")
	mt.Verified, _ = d.Bool(keys["verified"], "verified")
	mt.Synonyms = d.Strings(keys["synonyms"], "synonyms")
	if tn := d.Require(keys, n, "metric", "table"); tn != nil {
		if name, ok := d.NonEmpty(tn, "table"); ok {
			mt.Table = l.m.tablesByName[name]
			if mt.Table == nil {
				l.unknown(tn, "table", name, tableNames(l.m), fmt.Sprintf("metric %s: unknown table %s", mt.Name, name))
			}
		}
	}
	agg, meas := keys["aggregation"], keys["measure"]
	switch {
	case agg != nil && meas != nil:
		d.Errorf(meas, "metric %s has both an aggregation and a measure: give one", mt.Name)
	case agg == nil && meas == nil:
		d.Errorf(n, "metric %s needs an aggregation or a measure", mt.Name)
	case mt.Table == nil:
		// Reported above; nothing to resolve fields against.
	case agg != nil:
		mt.Aggregation = l.aggregation(mt.Table, agg)
	default:
		if id, ok := d.Int(meas, "measure"); ok {
			ms := l.m.measures[id]
			switch {
			case ms == nil:
				d.Errorf(meas, "metric %s: unknown measure %d", mt.Name, id)
			case ms.Table != mt.Table:
				d.Errorf(meas, "metric %s is on table %s but measure %d (%s) is on table %s", mt.Name, mt.Table.Name, id, ms.Name, ms.Table.Name)
			default:
				mt.Measure = ms
				mt.Aggregation = ms.Aggregation
			}
		}
	}
	if mt.Table != nil {
		if f := keys["filter"]; f != nil {
			mt.Filter = l.expr(mt.Table, f, false)
		}
		if tn := keys["default_time_dimension"]; tn != nil {
			if name, ok := d.NonEmpty(tn, "default_time_dimension"); ok {
				f := mt.Table.Field(name)
				switch {
				case f == nil:
					l.unknown(tn, "field", name, fieldNames(mt.Table), fmt.Sprintf("metric %s: table %s has no field %s", mt.Name, mt.Table.Name, name))
				case f.Type.Kind != KindUnknown && !f.Type.Kind.IsTemporal():
					d.Errorf(tn, "metric %s: default_time_dimension %s is %s, not a date or timestamp", mt.Name, name, f.Type.Database)
				default:
					mt.TimeDimension = f
				}
			}
		}
	}
	if mt.ID > 0 {
		l.m.metrics[mt.ID] = mt
	}
	l.m.Metrics = append(l.m.Metrics, mt)
}

func (l *loader) aggregation(t *Table, n *yaml.Node) Aggregation {
	d := l.doc
	keys := d.Mapping(n, "aggregation", "function", "field")
	if keys == nil {
		return Aggregation{}
	}
	var agg Aggregation
	fn := d.Require(keys, n, "aggregation", "function")
	if fn == nil {
		return agg
	}
	name, ok := d.String(fn, "function")
	if !ok {
		return agg
	}
	if !slices.Contains(AggFuncs, AggFunc(name)) {
		var all []string
		for _, f := range AggFuncs {
			all = append(all, string(f))
		}
		if sug := suggest.Closest(name, all); sug != "" {
			d.Errorf(fn, "unknown aggregation function %q (did you mean %s?)", name, sug)
		} else {
			d.Errorf(fn, "unknown aggregation function %q (expected one of %s)", name, strings.Join(all, ", "))
		}
		return agg
	}
	agg.Func = AggFunc(name)
	fieldNode := keys["field"]
	if agg.Func == AggCount {
		if fieldNode != nil {
			d.Errorf(fieldNode, "count takes no field (use count-distinct to count values)")
		}
		return agg
	}
	if fieldNode == nil {
		d.Errorf(n, "aggregation %s needs a field", name)
		return agg
	}
	fname, ok := d.NonEmpty(fieldNode, "field")
	if !ok {
		return agg
	}
	f := t.Field(fname)
	if f == nil {
		l.unknown(fieldNode, "field", fname, fieldNames(t), fmt.Sprintf("table %s has no field %s", t.Name, fname))
		return agg
	}
	if err := CheckAggregation(agg.Func, f); err != nil {
		d.Errorf(fieldNode, "%v", err)
		return agg
	}
	agg.Field = f
	return agg
}

// CheckAggregation reports whether fn can aggregate field f.
func CheckAggregation(fn AggFunc, f *Field) error {
	k := f.Type.Kind
	switch fn {
	case AggSum, AggAvg:
		if k != KindUnknown && !k.IsNumeric() {
			return fmt.Errorf("%s needs a numeric field; %s is %s", fn, f.Name, k.Words())
		}
	case AggMin, AggMax:
		if k == KindBoolean {
			return fmt.Errorf("%s cannot aggregate boolean field %s", fn, f.Name)
		}
	}
	return nil
}
