package sqlgen

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentlayer/agentlayer/semantic"
)

// Bucket is a temporal bucket: a truncation (minute … year) or an
// extraction (day-of-week … second-of-minute).
type Bucket string

// The buckets.
const (
	Minute         Bucket = "minute"
	Hour           Bucket = "hour"
	Day            Bucket = "day"
	Week           Bucket = "week"
	Month          Bucket = "month"
	Quarter        Bucket = "quarter"
	Year           Bucket = "year"
	DayOfWeek      Bucket = "day-of-week"
	DayOfMonth     Bucket = "day-of-month"
	DayOfYear      Bucket = "day-of-year"
	WeekOfYear     Bucket = "week-of-year"
	MonthOfYear    Bucket = "month-of-year"
	QuarterOfYear  Bucket = "quarter-of-year"
	HourOfDay      Bucket = "hour-of-day"
	MinuteOfHour   Bucket = "minute-of-hour"
	SecondOfMinute Bucket = "second-of-minute"
	second         Bucket = "second" // the precision of a full timestamp value
)

var truncations = []Bucket{Minute, Hour, Day, Week, Month, Quarter, Year}

// extractions lists the extraction buckets with their ranges.
var extractions = map[Bucket][2]int64{
	DayOfWeek: {1, 7}, DayOfMonth: {1, 31}, DayOfYear: {1, 366}, WeekOfYear: {1, 53},
	MonthOfYear: {1, 12}, QuarterOfYear: {1, 4}, HourOfDay: {0, 23}, MinuteOfHour: {0, 59}, SecondOfMinute: {0, 59},
}

// granularities are the buckets group_by takes.
var granularities = []Bucket{Minute, Hour, Day, Week, Month, Quarter, Year, DayOfWeek}

// Truncates reports whether the bucket truncates to a period.
func (b Bucket) Truncates() bool { return slices.Contains(truncations, b) || b == second }

// Extracts reports whether the bucket extracts a number.
func (b Bucket) Extracts() bool { _, ok := extractions[b]; return ok }

// timeOfDay reports whether the bucket needs a time of day.
func (b Bucket) timeOfDay() bool {
	return b == Minute || b == Hour || b == HourOfDay || b == MinuteOfHour || b == SecondOfMinute || b == second
}

func bucketNames(bs []Bucket) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

func filterBuckets() []string {
	names := append([]string{string(second)}, bucketNames(truncations)...)
	for _, b := range []Bucket{DayOfWeek, DayOfMonth, DayOfYear, WeekOfYear, MonthOfYear, QuarterOfYear, HourOfDay, MinuteOfHour, SecondOfMinute} {
		names = append(names, string(b))
	}
	return names
}

// bucket checks a bucket (or group_by granularity) for a column.
func (co *compiler) bucket(col QueryField, name, path string, granularity bool) (Bucket, error) {
	if name == "" {
		return "", nil
	}
	b := Bucket(name)
	valid := filterBuckets()
	what := "bucket"
	if granularity {
		valid, what = bucketNames(granularities), "field_granularity"
	}
	if !slices.Contains(valid, name) {
		return "", invalid(path, "%s must be one of %s, not %q", path, strings.Join(valid, ", "), name).with(valid...)
	}
	k := col.Wide.Field.Type.Kind
	switch {
	case !k.IsTemporal() && granularity:
		return "", nil // ignored, as Metabase ignores it
	case !k.IsTemporal():
		return "", invalid(path, "%s %s applies to dates and timestamps; field %s is %s", what, name, describe(col), k.Words())
	case k == semantic.KindDate && b.timeOfDay():
		return "", invalid(path, "%s %s needs a time of day; field %s is a date", what, name, describe(col))
	}
	return b, nil
}

// Moment is a date or timestamp value of a filter, as written: a wall-clock
// time in the report time zone (or an instant, when written with an
// offset), and its precision, which is the period it stands for
// ("2024-03" is March 2024).
type Moment struct {
	Time time.Time // wall clock, in UTC's representation, unless Instant
	Unit Bucket    // year, month, day, minute or second, or a filter's bucket
	// Instant marks a value written with an offset: Time is absolute.
	Instant bool
}

func (m Moment) String() string {
	if m.Instant {
		return m.Time.Format(time.RFC3339) + "/" + string(m.Unit)
	}
	return m.Time.Format("2006-01-02T15:04:05") + "/" + string(m.Unit)
}

// The operations of filters, by what they apply to.
var (
	existenceOps  = []string{"is-null", "is-not-null", "string-is-empty", "string-is-not-empty", "is-true", "is-false"}
	comparisonOps = []string{"equals", "not-equals", "greater-than", "greater-than-or-equal", "less-than", "less-than-or-equal"}
	stringOps     = []string{"string-contains", "string-not-contains", "string-starts-with", "string-ends-with"}
	// relativeOps are periods counted from now, or from the field's latest
	// value: the last N units, the next N, the current one.
	relativeOps = []string{"last", "next", "current", "since", "before"}
	// relativeUnits are the units of a relative filter.
	relativeUnits = truncations
	extractionOps = map[string]Bucket{
		"year-equals": Year, "quarter-equals": QuarterOfYear, "month-equals": MonthOfYear,
		"day-of-week-equals": DayOfWeek, "hour-equals": HourOfDay, "minute-equals": MinuteOfHour, "second-equals": SecondOfMinute,
	}
)

// opsByKind are the operations valid for each kind, computed once.
var opsByKind = func() map[semantic.Kind][]string {
	out := map[semantic.Kind][]string{}
	for k := semantic.KindUnknown; k <= semantic.KindTime; k++ {
		out[k] = computeOps(k)
	}
	return out
}()

// opsFor lists the operations valid for a field kind.
func opsFor(k semantic.Kind) []string { return opsByKind[k] }

// everyOp lists every operation.
var everyOp = allOps()

func computeOps(k semantic.Kind) []string {
	ops := []string{"is-null", "is-not-null"}
	switch {
	case k == semantic.KindBoolean:
		ops = append(ops, "is-true", "is-false", "equals", "not-equals")
	case k == semantic.KindText:
		ops = append(ops, "string-is-empty", "string-is-not-empty")
		ops = append(ops, comparisonOps...)
		ops = append(ops, "between")
		ops = append(ops, stringOps...)
	case k.IsTemporal():
		ops = append(ops, comparisonOps...)
		ops = append(ops, "between")
		ops = append(ops, relativeOps...)
		for _, op := range []string{"year-equals", "quarter-equals", "month-equals", "day-of-week-equals", "hour-equals", "minute-equals", "second-equals"} {
			if k == semantic.KindDate && extractionOps[op].timeOfDay() {
				continue
			}
			ops = append(ops, op, strings.Replace(op, "-equals", "-not-equals", 1))
		}
	default:
		ops = append(ops, comparisonOps...)
		if k.IsNumeric() {
			ops = append(ops, "between")
		}
	}
	return ops
}

func allOps() []string {
	ops := slices.Clone(existenceOps)
	ops = append(ops, comparisonOps...)
	ops = append(ops, "between")
	ops = append(ops, stringOps...)
	ops = append(ops, relativeOps...)
	for op := range extractionOps {
		ops = append(ops, op, strings.Replace(op, "-equals", "-not-equals", 1))
	}
	slices.Sort(ops[len(existenceOps)+len(comparisonOps)+1+len(stringOps)+len(relativeOps):])
	return ops
}

func (co *compiler) filter(f Filter, path string) (Condition, error) {
	if f.And != nil || f.Or != nil || f.Not != nil {
		return co.tree(f, path)
	}
	if f.SegmentID != 0 {
		return co.segment(f, path)
	}
	col, err := co.column(f.FieldID, path+".field_id")
	if err != nil {
		if f.FieldID == "" {
			err.(*Error).Message = fmt.Sprintf("%s needs field_id and operation, or segment_id", path)
		}
		return Condition{}, err
	}
	k := col.Wide.Field.Type.Kind
	op := f.Operation
	if op == "" {
		return Condition{}, invalid(path+".operation", "%s.operation is required", path).with(opsFor(k)...)
	}
	if !slices.Contains(everyOp, op) {
		return Condition{}, invalid(path+".operation", "%s.operation %q is not an operation", path, op).with(opsFor(k)...)
	}
	if !slices.Contains(opsFor(k), op) {
		return Condition{}, invalid(path+".operation", "%s: operation %s does not apply to field %s, which is %s", path, op, describe(col), k.Words()).with(opsFor(k)...)
	}
	if f.CaseSensitive && !slices.Contains(stringOps, op) {
		return Condition{}, invalid(path+".case_sensitive", "%s: case_sensitive applies to %s, not %s", path, strings.Join(stringOps, ", "), op)
	}
	cond := Condition{Column: col, Op: op, Given: Filter{Value: f.Value, Values: f.Values}, CaseSensitive: f.CaseSensitive}
	if slices.Contains(relativeOps, op) {
		return co.relative(cond, f, path)
	}
	if f.Unit != "" || f.Complete || f.Anchor != "" {
		return Condition{}, invalid(path, "%s: unit, complete and anchor belong to the relative operations (%s), not %s", path, strings.Join(relativeOps, ", "), op)
	}
	if cond.Column.Bucket, err = co.bucket(col, f.Bucket, path+".bucket", false); err != nil {
		return Condition{}, err
	}
	if f.Bucket != "" && !slices.Contains(comparisonOps, op) && op != "between" {
		return Condition{}, invalid(path+".bucket", "%s: bucket applies to comparisons (equals … less-than-or-equal, between), not %s", path, op)
	}
	if op == "between" && (f.Value != nil || len(f.Values) != 2) {
		return Condition{}, invalid(path+".values", "%s: between takes values [from, to], both included", path)
	}
	// How many values the operation takes.
	many := op == "equals" || op == "not-equals" || op == "between" || slices.Contains(stringOps, op) || extractionOps[strings.Replace(op, "-not-equals", "-equals", 1)] != ""
	switch {
	case slices.Contains(existenceOps, op):
		if f.Value != nil || f.Values != nil {
			return Condition{}, invalid(path, "%s: operation %s takes no value", path, op)
		}
		return cond, nil
	case f.Value != nil && f.Values != nil:
		return Condition{}, invalid(path, "%s: give value or values, not both", path)
	case f.Values != nil && !many:
		return Condition{}, invalid(path+".values", "%s.values is not allowed for %s: give one value", path, op)
	case f.Values != nil && len(f.Values) == 0:
		return Condition{}, invalid(path+".values", "%s.values is empty: give at least one value", path)
	case f.Value == nil && f.Values == nil:
		return Condition{}, invalid(path+".value", "%s.value is required for %s", path, op)
	}
	return co.values(cond, f, path)
}

// tree compiles a filter of filters.
func (co *compiler) tree(f Filter, path string) (Condition, error) {
	cond := Condition{}
	var parts []Filter
	switch {
	case f.And != nil:
		cond.Tree, parts = "and", f.And
	case f.Or != nil:
		cond.Tree, parts = "or", f.Or
	default:
		cond.Tree, parts = "not", []Filter{*f.Not}
	}
	for i, part := range parts {
		p := path + "." + cond.Tree
		if cond.Tree != "not" {
			p = index(p, i)
		}
		c, err := co.filter(part, p)
		if err != nil {
			return Condition{}, err
		}
		cond.Parts = append(cond.Parts, c)
	}
	return cond, nil
}

// segment is a filter by a segment of the table.
func (co *compiler) segment(f Filter, path string) (Condition, error) {
	if f.FieldID != "" || f.Operation != "" || f.Value != nil || f.Values != nil || f.Bucket != "" {
		return Condition{}, invalid(path, "%s: a segment filter takes segment_id alone", path)
	}
	s := co.c.Model.Segment(f.SegmentID)
	if s == nil || s.Table != co.table || !co.c.SegmentVisible(co.a, s) {
		return Condition{}, NotFound(path+".segment_id", "Segment with id %d not found", f.SegmentID).with(co.segmentIDs()...)
	}
	return Condition{Segment: s}, nil
}

// values types a filter's value or values for its condition: each a
// value of the field's kind, or the caller's ({"user": …}).
func (co *compiler) values(cond Condition, f Filter, path string) (Condition, error) {
	raw, paths := []any{f.Value}, []string{path + ".value"}
	if f.Values != nil {
		raw, paths = f.Values, nil
		for i := range f.Values {
			paths = append(paths, index(path+".values", i))
		}
	}
	for i, v := range raw {
		if c, ok := callerValue(v); ok {
			// Bound for each caller when planned (planner.callerValues).
			if !slices.Contains(comparisonOps, cond.Op) {
				return Condition{}, invalid(paths[i], `%s: a value of the caller's ({"user": …}) applies to %s, not %s`, paths[i], strings.Join(comparisonOps, ", "), cond.Op)
			}
			cond.Values = append(cond.Values, c)
			continue
		}
		typed, err := co.value(cond, v, paths[i])
		if err != nil {
			return Condition{}, err
		}
		cond.Values = append(cond.Values, typed)
	}
	return cond, nil
}

// Relative is a relative filter as compiled: a period counted from now or
// from the field's latest value, resolved when the query is planned.
type Relative struct {
	Op       string // last, next, current, since or before
	N        int    // the units, for last, next, since and before
	Unit     Bucket
	Complete bool
	Latest   bool // counted from the field's latest value, not now
	Today    bool // counted from the start of today, not now
}

// String describes the period: "6 month complete, from latest".
func (r *Relative) String() string {
	s := string(r.Unit)
	if r.Op != "current" {
		s = strconv.Itoa(r.N) + " " + s
	}
	if r.Complete {
		s += " complete"
	}
	switch {
	case r.Latest:
		return s + ", from latest"
	case r.Today:
		return s + ", from today"
	}
	return s + ", from now"
}

// relative compiles last, next and current.
func (co *compiler) relative(cond Condition, f Filter, path string) (Condition, error) {
	r := &Relative{Op: f.Operation, Complete: f.Complete, Unit: Bucket(f.Unit)}
	if f.Bucket != "" || f.Values != nil {
		return Condition{}, invalid(path, "%s: %s takes value (a count of units), unit, complete and anchor", path, f.Operation)
	}
	switch {
	case r.Op == "current" && f.Value != nil:
		return Condition{}, invalid(path+".value", "%s: current takes no value: it is the unit that holds now (or the latest value)", path)
	case r.Op != "current":
		least := int64(1)
		if r.Op == "since" || r.Op == "before" {
			least = 0 // since 0 days: from now on
			if f.Complete {
				return Condition{}, invalid(path+".complete", "%s: %s counts from a moment; complete applies to last and next", path, r.Op)
			}
		}
		n, ok := number(f.Value)
		i, isInt := n.(int64)
		if !ok || !isInt || i < least || i > 100000 {
			return Condition{}, invalid(path+".value", "%s.value must be a whole number of units from %d to 100000 for %s, not %s", path, least, r.Op, jsonWords(f.Value))
		}
		r.N = int(i)
	}
	if !slices.Contains(relativeUnits, r.Unit) {
		return Condition{}, invalid(path+".unit", "%s.unit must be one of %s, not %q", path, strings.Join(bucketNames(relativeUnits), ", "), f.Unit).with(bucketNames(relativeUnits)...)
	}
	if cond.Column.Wide.Field.Type.Kind == semantic.KindDate && (r.Unit == Minute || r.Unit == Hour) {
		return Condition{}, invalid(path+".unit", "%s: field %s is a date: a relative unit is a day or longer", path, describe(cond.Column))
	}
	switch f.Anchor {
	case "", "now":
	case "latest":
		r.Latest = true
	case "today":
		if r.Op != "since" && r.Op != "before" {
			return Condition{}, invalid(path+".anchor", "%s: anchor today applies to since and before, not %s", path, r.Op).with("now", "latest")
		}
		r.Today = true
	default:
		return Condition{}, invalid(path+".anchor", "%s.anchor must be now, today or latest, not %q", path, f.Anchor).with("now", "today", "latest")
	}
	cond.Relative = r
	cond.Given.Unit, cond.Given.Complete, cond.Given.Anchor = f.Unit, f.Complete, f.Anchor
	return cond, nil
}

// number reads a JSON number (or a Go number) as int64 when whole, else
// float64.
func number(v any) (any, bool) {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, true
		}
		f, err := x.Float64()
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, false
		}
		return f, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case float32:
		return float64(x), true
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, false
		}
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x), true
		}
		return x, true
	}
	return nil, false
}

// value types one filter value for its condition.
func (co *compiler) value(cond Condition, v any, path string) (any, error) {
	col := cond.Column
	k := col.Wide.Field.Type.Kind
	mismatch := func(want string) error {
		return invalid(path, "%s must be %s for field %s, not %s", path, want, describe(col), jsonWords(v))
	}
	if b, ok := extractionOps[strings.Replace(cond.Op, "-not-equals", "-equals", 1)]; ok {
		return extracted(b, v, path, describe(col))
	}
	if b := col.Bucket; b.Extracts() {
		return extracted(b, v, path, describe(col))
	}
	switch {
	case k.IsNumeric():
		if s, ok := v.(string); ok && k.IsInteger() {
			// Integers beyond ±2^53 come back as strings: they can go back
			// in as strings.
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return i, nil
			}
			if b, ok := new(big.Int).SetString(s, 10); ok {
				if db := col.Wide.Field.Type.Database; (db == "HUGEINT" || db == "UHUGEINT") && b.BitLen() < 128 {
					return b, nil
				}
				return nil, invalid(path, "%s %s is out of range for field %s (%s)", path, s, describe(col), col.Wide.Field.Type.Database)
			}
		}
		n, ok := number(v)
		if !ok {
			return nil, mismatch("a number")
		}
		return n, nil
	case k == semantic.KindText:
		s, ok := v.(string)
		if !ok {
			return nil, mismatch("a string")
		}
		return s, nil
	case k == semantic.KindBoolean:
		b, ok := v.(bool)
		if !ok {
			return nil, mismatch("true or false")
		}
		return b, nil
	case k == semantic.KindTime:
		s, ok := v.(string)
		if !ok {
			return nil, mismatch("a time of day (HH:MM:SS)")
		}
		t, err := parseTimeOfDay(s)
		if err != nil {
			return nil, invalid(path, "%s must be a time of day (HH:MM or HH:MM:SS) for field %s, not %q", path, describe(col), s)
		}
		return t, nil
	}
	// Dates and timestamps.
	var m Moment
	switch x := v.(type) {
	case string:
		var err error
		if m, err = parseMoment(x); err != nil {
			return nil, invalid(path, "%s must be a date (2024-03-15), a month (2024-03), a year (2024) or a timestamp (2024-03-15T10:30:00) for field %s, not %q", path, describe(col), x)
		}
	default:
		n, ok := number(v)
		year, isInt := n.(int64)
		if !ok || !isInt || year < 100 || year > 9999 {
			return nil, invalid(path, "%s must be a date or timestamp string, or a year, for field %s, not %s", path, describe(col), jsonWords(v))
		}
		m = Moment{Time: time.Date(int(year), 1, 1, 0, 0, 0, 0, time.UTC), Unit: Year}
	}
	if k == semantic.KindDate && (m.Unit == Minute || m.Unit == second) && !m.Instant && (m.Time.Hour() != 0 || m.Time.Minute() != 0 || m.Time.Second() != 0) {
		return nil, invalid(path, "%s has a time of day, but field %s is a date", path, describe(col))
	}
	if b := col.Bucket; b != "" {
		m.Unit = b
	}
	return m, nil
}

// extracted reads the number an extraction is compared with; a string of
// digits counts ("2024" for year-equals).
func extracted(b Bucket, v any, path, field string) (any, error) {
	if s, isString := v.(string); isString {
		if i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			v = i
		}
	}
	n, ok := number(v)
	i, isInt := n.(int64)
	lo, hi := int64(1), int64(9999)
	if r, ok := extractions[b]; ok {
		lo, hi = r[0], r[1]
	}
	what := map[Bucket]string{Year: "a year", DayOfWeek: "a day of the week (1 = Monday … 7 = Sunday)",
		DayOfMonth: "a day of the month", DayOfYear: "a day of the year", WeekOfYear: "a week of the year",
		MonthOfYear: "a month", QuarterOfYear: "a quarter", HourOfDay: "an hour", MinuteOfHour: "a minute", SecondOfMinute: "a second"}[b]
	if !ok || !isInt || i < lo || i > hi {
		return nil, invalid(path, "%s must be %s from %d to %d for field %s, not %s", path, what, lo, hi, field, jsonWords(v))
	}
	return i, nil
}

// jsonWords shows a request value in a message: values of the request are
// echoed to the caller who sent them, and never rendered into SQL.
func jsonWords(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) > 40 {
			x = x[:40] + "…"
		}
		return strconv.Quote(x)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

var momentPattern = regexp.MustCompile(`^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?)?)?$`)

// parseMoment reads 2024, 2024-03, 2024-03-15, 2024-03-15T10:30,
// 2024-03-15T10:30:00[.fff][Z|±hh:mm].
func parseMoment(s string) (Moment, error) {
	m := momentPattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Moment{}, fmt.Errorf("not a date")
	}
	atoi := func(x string, def int) int {
		if x == "" {
			return def
		}
		n, _ := strconv.Atoi(x)
		return n
	}
	year, month, day := atoi(m[1], 0), atoi(m[2], 1), atoi(m[3], 1)
	hour, minute, sec := atoi(m[4], 0), atoi(m[5], 0), atoi(m[6], 0)
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 59 {
		return Moment{}, fmt.Errorf("out of range")
	}
	nanos := 0
	if m[7] != "" {
		frac := (m[7][1:] + "000000000")[:9]
		nanos = atoi(frac, 0)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nanos, time.UTC)
	if t.Day() != day {
		return Moment{}, fmt.Errorf("no such day")
	}
	unit := Year
	switch {
	case m[6] != "":
		unit = second
	case m[5] != "":
		unit = Minute
	case m[3] != "":
		unit = Day
	case m[2] != "":
		unit = Month
	}
	mo := Moment{Time: t, Unit: unit}
	if off := m[8]; off != "" {
		if off != "Z" {
			sign := 1
			if off[0] == '-' {
				sign = -1
			}
			digits := strings.ReplaceAll(off[1:], ":", "")
			secs := sign * (atoi(digits[:2], 0)*3600 + atoi(digits[2:], 0)*60)
			mo.Time = time.Date(year, time.Month(month), day, hour, minute, sec, nanos, time.FixedZone("", secs)).UTC()
		}
		mo.Instant = true
	}
	return mo, nil
}

// TimeOfDay is a value of a time field.
type TimeOfDay struct{ time.Duration }

func parseTimeOfDay(s string) (TimeOfDay, error) {
	for _, layout := range []string{"15:04:05", "15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return TimeOfDay{time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second}, nil
		}
	}
	return TimeOfDay{}, fmt.Errorf("not a time")
}
