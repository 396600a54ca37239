package pgwire

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/sqlfront"
)

// PostgreSQL's type OIDs of the columns answered.
const (
	oidBool        = 16
	oidInt8        = 20
	oidInt2        = 21
	oidInt4        = 23
	oidText        = 25
	oidFloat4      = 700
	oidFloat8      = 701
	oidVarchar     = 1043
	oidDate        = 1082
	oidTimestamp   = 1114
	oidTimestampTZ = 1184
	oidNumeric     = 1700
)

// typeOf is a column's type as a SQL client sees it: money and decimals
// as numeric, so that they keep their digits; a bucketed timestamp as a
// wall-clock timestamp; a timestamp as an instant; a masked value as
// text.
func typeOf(c engine.Column) sqlfront.Type {
	switch {
	case c.Unit != "" && !c.Unit.Truncates():
		return sqlfront.TypeInt8 // an extraction: a number
	case c.Masked != "":
		return sqlfront.TypeText
	}
	return baseType(c.BaseType, c.Local)
}

// baseType maps a base type of the Agent API onto a SQL type.
func baseType(bt string, local bool) sqlfront.Type {
	switch bt {
	case "type/Boolean":
		return sqlfront.TypeBool
	case "type/Integer", "type/BigInteger":
		return sqlfront.TypeInt8
	case "type/Float", "type/Number":
		return sqlfront.TypeFloat8
	case "type/Decimal":
		return sqlfront.TypeNumeric
	case "type/Date":
		return sqlfront.TypeDate
	case "type/DateTime", "type/DateTimeWithLocalTZ", "type/DateTimeWithTZ", "type/DateTimeWithZoneOffset":
		if local {
			return sqlfront.TypeTimestamp
		}
		return sqlfront.TypeTimestampTZ
	}
	return sqlfront.TypeText
}

func oidOf(t sqlfront.Type) uint32 {
	switch t {
	case sqlfront.TypeBool:
		return oidBool
	case sqlfront.TypeInt8:
		return oidInt8
	case sqlfront.TypeFloat8:
		return oidFloat8
	case sqlfront.TypeNumeric:
		return oidNumeric
	case sqlfront.TypeDate:
		return oidDate
	case sqlfront.TypeTimestamp:
		return oidTimestamp
	case sqlfront.TypeTimestampTZ:
		return oidTimestampTZ
	}
	return oidText
}

func typeSize(oid uint32) int16 {
	switch oid {
	case oidBool:
		return 1
	case oidInt2:
		return 2
	case oidInt4, oidFloat4, oidDate:
		return 4
	case oidInt8, oidFloat8, oidTimestamp, oidTimestampTZ:
		return 8
	}
	return -1
}

// pgEpoch is PostgreSQL's epoch of dates and timestamps in the binary
// format.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// appendValue appends a value of an answer (as the engine gives it:
// numbers, strings, ISO-8601 dates and times) as a client asked: text
// (format 0) or binary (1), the usual types without a detour through
// pgtype. m encodes the rest (numeric); it is the connection's own, as a
// pgtype.Map is not safe for concurrent use.
func appendValue(buf []byte, m *pgtype.Map, v any, t sqlfront.Type, oid uint32, format int16, zone *time.Location) ([]byte, error) {
	if format == 0 {
		return append(buf, textOf(v, t, zone)...), nil
	}
	switch oid {
	case oidInt8, oidInt4, oidInt2:
		i, err := goValue(v, sqlfront.TypeInt8)
		if err != nil {
			return nil, err
		}
		n, ok := i.(int64)
		if !ok {
			if f, isFloat := i.(float64); isFloat {
				n, ok = int64(f), true
			}
		}
		if !ok {
			return nil, fmt.Errorf("not an integer: %v", v)
		}
		switch oid {
		case oidInt4:
			return binary.BigEndian.AppendUint32(buf, uint32(int32(n))), nil
		case oidInt2:
			return binary.BigEndian.AppendUint16(buf, uint16(int16(n))), nil
		}
		return binary.BigEndian.AppendUint64(buf, uint64(n)), nil
	case oidFloat8:
		f, err := goValue(v, sqlfront.TypeFloat8)
		if err != nil {
			return nil, err
		}
		x, ok := f.(float64)
		if !ok {
			if i, isInt := f.(int64); isInt {
				x, ok = float64(i), true
			}
		}
		if !ok {
			return nil, fmt.Errorf("not a number: %v", v)
		}
		return binary.BigEndian.AppendUint64(buf, math.Float64bits(x)), nil
	case oidBool:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("not a boolean: %v", v)
		}
		if b {
			return append(buf, 1), nil
		}
		return append(buf, 0), nil
	case oidText, oidVarchar:
		return append(buf, textOf(v, t, zone)...), nil
	case oidTimestamp, oidTimestampTZ, oidDate:
		tm, ok := v.(time.Time)
		if s, isString := v.(string); isString {
			var err error
			if tm, err = parseTime(s); err != nil {
				return nil, err
			}
			ok = true
		}
		if !ok {
			return nil, fmt.Errorf("not a time: %v", v)
		}
		if oid == oidDate {
			days := tm.Sub(pgEpoch).Hours() / 24
			return binary.BigEndian.AppendUint32(buf, uint32(int32(math.Floor(days)))), nil
		}
		if oid == oidTimestamp {
			// A wall-clock time: its fields, as if in UTC.
			tm = time.Date(tm.Year(), tm.Month(), tm.Day(), tm.Hour(), tm.Minute(), tm.Second(), tm.Nanosecond(), time.UTC)
		}
		micros := tm.Sub(pgEpoch).Microseconds()
		return binary.BigEndian.AppendUint64(buf, uint64(micros)), nil
	}
	val, err := goValue(v, t)
	if err != nil {
		return nil, err
	}
	return m.Encode(oid, pgtype.BinaryFormatCode, val, buf)
}

// textOf writes a value as PostgreSQL's text format does.
func textOf(v any, t sqlfront.Type, zone *time.Location) string {
	switch x := v.(type) {
	case string:
		switch t {
		case sqlfront.TypeDate:
			if tm, err := parseTime(x); err == nil {
				return tm.Format("2006-01-02")
			}
		case sqlfront.TypeTimestampTZ:
			if tm, err := parseTime(x); err == nil {
				return tm.In(zone).Format("2006-01-02 15:04:05.999999-07")
			}
		case sqlfront.TypeTimestamp:
			if tm, err := parseTime(x); err == nil {
				return tm.Format("2006-01-02 15:04:05.999999")
			}
		}
		return x
	case bool:
		if x {
			return "t"
		}
		return "f"
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case time.Time:
		switch t {
		case sqlfront.TypeDate:
			return x.Format("2006-01-02")
		case sqlfront.TypeTimestamp:
			return x.Format("2006-01-02 15:04:05.999999")
		}
		return x.In(zone).Format("2006-01-02 15:04:05.999999-07")
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if tm, err := time.Parse(layout, s); err == nil {
			return tm, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a time: %q", s)
}

// goValue converts a value for the binary encoder.
func goValue(v any, t sqlfront.Type) (any, error) {
	s, isString := v.(string)
	switch t {
	case sqlfront.TypeNumeric:
		var n pgtype.Numeric
		text := strings.TrimSpace(textOf(v, t, time.UTC))
		if _, ok := new(big.Float).SetString(text); !ok {
			return nil, fmt.Errorf("not a number: %q", text)
		}
		err := n.Scan(text)
		return n, err
	case sqlfront.TypeDate, sqlfront.TypeTimestamp, sqlfront.TypeTimestampTZ:
		if isString {
			return parseTime(s)
		}
	case sqlfront.TypeInt8:
		switch x := v.(type) {
		case string:
			return strconv.ParseInt(x, 10, 64)
		case json.Number:
			return x.Int64()
		case float64:
			return int64(x), nil
		}
	case sqlfront.TypeFloat8:
		switch x := v.(type) {
		case string:
			return strconv.ParseFloat(x, 64)
		case json.Number:
			return x.Float64()
		}
	}
	return v, nil
}
