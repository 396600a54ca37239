package sqlgen

import (
	"time"

	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// Time in agentlayer: a TIMESTAMP column holds UTC wall-clock times, a
// TIMESTAMPTZ column instants, a DATE column calendar days. Buckets and
// extractions are computed on wall-clock time in the report time zone;
// filters on dates and timestamps compare the raw column with bounds
// computed in Go, so that they stay range scans.

// isUTC reports whether the report zone is UTC.
func (p *planner) isUTC() bool { return p.zone == time.UTC }

// local is a temporal column's value as wall-clock time in the report zone.
// It never depends on the session's TimeZone setting.
func (p *planner) local(x sqlast.Expr, k semantic.Kind) sqlast.Expr {
	switch k {
	case semantic.KindDateTime:
		if p.isUTC() {
			return x
		}
		return sqlast.Fn{Op: sqlast.FnLocal, Arg: p.zone.String(), Args: []sqlast.Expr{x}}
	case semantic.KindDateTimeTZ:
		return sqlast.Fn{Op: sqlast.FnLocalTZ, Arg: p.zone.String(), Args: []sqlast.Expr{x}}
	}
	return x
}

// weekShift is how many days to add so that ISO weeks (Monday first) start
// on the configured day.
func (p *planner) weekShift() int { return (8 - isoDay(p.weekStart)) % 7 }

func isoDay(d time.Weekday) int {
	if d == time.Sunday {
		return 7
	}
	return int(d)
}

// bucketed is a temporal column truncated to, or with a part extracted by,
// bucket b, computed on wall-clock time in the report zone.
func (p *planner) bucketed(x sqlast.Expr, k semantic.Kind, b Bucket) sqlast.Expr {
	l := p.local(x, k)
	if b.Extracts() {
		return sqlast.Fn{Op: sqlast.FnExtract, Arg: string(b), Args: []sqlast.Expr{l}}
	}
	var out sqlast.Expr
	if b == Week && p.weekShift() != 0 {
		shift := sqlast.Interval{N: p.weekShift(), Unit: "day"}
		out = sqlast.Bin{Op: "-", L: sqlast.Fn{Op: sqlast.FnTrunc, Arg: "week", Kind: k, Args: []sqlast.Expr{sqlast.Bin{Op: "+", L: l, R: shift}}}, R: shift}
	} else {
		out = sqlast.Fn{Op: sqlast.FnTrunc, Arg: string(b), Kind: k, Args: []sqlast.Expr{l}}
	}
	if k == semantic.KindDate {
		return sqlast.Cast{X: out, Type: sqlast.TypeDate}
	}
	return out
}

// period returns the wall-clock period [start, end) a moment stands for.
func (p *planner) period(m Moment) (time.Time, time.Time) {
	t := m.Time
	if m.Instant {
		// Written with an offset: its wall clock in the report zone.
		l := t.In(p.zone)
		t = time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
	}
	y, mo, d := t.Date()
	switch m.Unit {
	case Year:
		s := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
		return s, s.AddDate(1, 0, 0)
	case Quarter:
		s := time.Date(y, mo-(mo-1)%3, 1, 0, 0, 0, 0, time.UTC)
		return s, s.AddDate(0, 3, 0)
	case Month:
		s := time.Date(y, mo, 1, 0, 0, 0, 0, time.UTC)
		return s, s.AddDate(0, 1, 0)
	case Week:
		s := time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
		back := (int(s.Weekday()) - int(p.weekStart) + 7) % 7
		s = s.AddDate(0, 0, -back)
		return s, s.AddDate(0, 0, 7)
	case Day:
		s := time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
		return s, s.AddDate(0, 0, 1)
	case Hour:
		s := t.Truncate(time.Hour)
		return s, s.Add(time.Hour)
	case Minute:
		s := t.Truncate(time.Minute)
		return s, s.Add(time.Minute)
	}
	s := t.Truncate(time.Second)
	if t.Nanosecond() != 0 {
		return t, t.Add(time.Nanosecond)
	}
	return s, s.Add(time.Second)
}

// bound turns a wall-clock time in the report zone into a value to compare
// a column of kind k with.
func (p *planner) bound(wall time.Time, k semantic.Kind) any {
	switch k {
	case semantic.KindDate:
		return time.Date(wall.Year(), wall.Month(), wall.Day(), 0, 0, 0, 0, time.UTC)
	}
	inst := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), wall.Nanosecond(), p.zone)
	return inst.UTC()
}

// relative compares a date or timestamp column with a relative filter's
// period, as a range of the raw column: counted from now, or from the
// latest value the caller may see, in the report time zone.
func (p *planner) relative(raw sqlast.Expr, k semantic.Kind, cond Condition) (sqlast.Expr, error) {
	pr, err := p.relativePeriod(cond)
	if err != nil || pr.none {
		return sqlast.False, err
	}
	upper := sqlast.Bin{Op: "<", L: raw, R: sqlast.Param{Value: p.bound(pr.hi, k)}}
	if pr.inclusive {
		upper.Op = "<="
	}
	lower := sqlast.Bin{Op: ">=", L: raw, R: sqlast.Param{Value: p.bound(pr.lo, k)}}
	switch {
	case pr.lo.IsZero():
		return upper, nil // before
	case pr.hi.IsZero():
		return lower, nil // since
	}
	return sqlast.AndOf(lower, upper), nil
}

// resolvedPeriod is a relative filter's period as planned: wall-clock
// bounds [lo, hi), or [lo, hi] when inclusive, a zero one open (since,
// before); none when the caller sees no value to count from.
type resolvedPeriod struct {
	lo, hi    time.Time
	inclusive bool
	none      bool
}

// relativePeriod resolves a relative filter's period, once per plan.
func (p *planner) relativePeriod(cond Condition) (resolvedPeriod, error) {
	if pr, ok := p.periods[cond.Relative]; ok {
		return pr, nil
	}
	pr, err := p.resolvePeriod(cond)
	if err == nil {
		if p.periods == nil {
			p.periods = map[*Relative]resolvedPeriod{}
		}
		p.periods[cond.Relative] = pr
	}
	return pr, err
}

func (p *planner) resolvePeriod(cond Condition) (resolvedPeriod, error) {
	r, k := cond.Relative, cond.Column.Wide.Field.Type.Kind
	var anchor time.Time
	if r.Latest {
		if p.opts.Latest == nil {
			return resolvedPeriod{}, invalid("", "a filter counted from the latest value of %s needs the database: run it rather than only planning it", describe(cond.Column))
		}
		latest, ok, err := p.opts.Latest(cond.Column)
		if err != nil {
			return resolvedPeriod{}, err
		}
		if !ok {
			return resolvedPeriod{none: true}, nil // no value the caller may see: no period
		}
		anchor = latest
	} else {
		anchor = p.opts.Now()
	}
	wall := anchor
	if k != semantic.KindDate || r.Today {
		l := anchor.In(p.zone)
		wall = time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
	}
	if r.Today {
		wall = time.Date(wall.Year(), wall.Month(), wall.Day(), 0, 0, 0, 0, time.UTC)
	}
	start, end := p.period(Moment{Time: wall, Unit: r.Unit})
	var out resolvedPeriod
	switch {
	case r.Op == "current":
		out.lo, out.hi = start, end
	case r.Op == "last" && r.Complete:
		out.lo, out.hi = addUnits(start, r.Unit, -r.N), start
	case r.Op == "next" && r.Complete:
		out.lo, out.hi = end, addUnits(end, r.Unit, r.N)
	case r.Op == "since":
		out.lo = addUnits(wall, r.Unit, -r.N)
	case r.Op == "before":
		out.hi = addUnits(wall, r.Unit, -r.N)
	case r.Op == "last":
		out.lo, out.hi, out.inclusive = addUnits(wall, r.Unit, -r.N), wall, true
	default: // next
		out.lo, out.hi, out.inclusive = wall, addUnits(wall, r.Unit, r.N), true
	}
	return out, nil
}

// addUnits moves a wall-clock time by n units.
func addUnits(t time.Time, u Bucket, n int) time.Time {
	switch u {
	case Year:
		return t.AddDate(n, 0, 0)
	case Quarter:
		return t.AddDate(0, 3*n, 0)
	case Month:
		return t.AddDate(0, n, 0)
	case Week:
		return t.AddDate(0, 0, 7*n)
	case Day:
		return t.AddDate(0, 0, n)
	case Hour:
		return t.Add(time.Duration(n) * time.Hour)
	}
	return t.Add(time.Duration(n) * time.Minute)
}
