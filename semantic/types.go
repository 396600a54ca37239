package semantic

import (
	"fmt"
	"regexp"
	"strings"
)

// Kind is the family of a field's values, derived from its database type.
type Kind int

// The kinds of values a field can hold.
const (
	KindUnknown Kind = iota
	KindBoolean
	KindInteger    // up to 32 bits
	KindBigInteger // 64 bits and more
	KindFloat
	KindDecimal
	KindText
	KindDate
	KindDateTime   // a timestamp without time zone, read as UTC
	KindDateTimeTZ // an instant
	KindTime
)

// Type is the type of a field: the database's own name for it and the kind of
// values it holds.
type Type struct {
	// Database is the type as the database names it, e.g. "DECIMAL(10,2)".
	Database string
	Kind     Kind
}

// IsNumeric reports whether values of the type are numbers.
func (k Kind) IsNumeric() bool {
	return k == KindInteger || k == KindBigInteger || k == KindFloat || k == KindDecimal
}

// IsInteger reports whether values of the type are whole numbers.
func (k Kind) IsInteger() bool { return k == KindInteger || k == KindBigInteger }

// IsTemporal reports whether values of the type are dates or timestamps.
func (k Kind) IsTemporal() bool {
	return k == KindDate || k == KindDateTime || k == KindDateTimeTZ
}

// HasTime reports whether values of the type carry a time of day.
func (k Kind) HasTime() bool {
	return k == KindDateTime || k == KindDateTimeTZ || k == KindTime
}

// BaseType is Metabase's name for the kind, e.g. "type/Float".
func (k Kind) BaseType() string {
	switch k {
	case KindBoolean:
		return "type/Boolean"
	case KindInteger:
		return "type/Integer"
	case KindBigInteger:
		return "type/BigInteger"
	case KindFloat:
		return "type/Float"
	case KindDecimal:
		return "type/Decimal"
	case KindText:
		return "type/Text"
	case KindDate:
		return "type/Date"
	case KindDateTime:
		return "type/DateTime"
	case KindDateTimeTZ:
		return "type/DateTimeWithLocalTZ"
	case KindTime:
		return "type/Time"
	}
	return "type/*"
}

// APIType is the Agent API's coarse type: boolean, number, string, datetime,
// date or time.
func (k Kind) APIType() string {
	switch {
	case k == KindBoolean:
		return "boolean"
	case k.IsNumeric():
		return "number"
	case k == KindDate:
		return "date"
	case k == KindDateTime || k == KindDateTimeTZ:
		return "datetime"
	case k == KindTime:
		return "time"
	}
	return "string"
}

func (k Kind) String() string { return k.APIType() }

// Words names the kind in a sentence: "a number", "text", "a timestamp".
func (k Kind) Words() string {
	switch k.APIType() {
	case "number":
		return "a number"
	case "string":
		return "text"
	case "boolean":
		return "a boolean"
	case "date":
		return "a date"
	case "datetime":
		return "a timestamp"
	}
	return "a time of day"
}

var decimalType = regexp.MustCompile(`^(DECIMAL|NUMERIC)(\s*\(\s*\d+\s*(,\s*\d+\s*)?\))?$`)

// ParseType reads a DuckDB type name, as DESCRIBE prints it or as a model
// declares it. Types agentlayer cannot query (lists, structs, blobs, …) are
// an error.
func ParseType(name string) (Type, error) {
	norm := strings.ToUpper(strings.Join(strings.Fields(name), " "))
	t := Type{Database: norm}
	switch norm {
	case "BOOLEAN", "BOOL", "LOGICAL":
		t.Kind = KindBoolean
	case "TINYINT", "INT1", "SMALLINT", "INT2", "SHORT", "INTEGER", "INT", "INT4", "SIGNED",
		"UTINYINT", "USMALLINT":
		t.Kind = KindInteger
	case "BIGINT", "INT8", "LONG", "HUGEINT", "UINTEGER", "UBIGINT", "UHUGEINT":
		t.Kind = KindBigInteger
	case "FLOAT", "FLOAT4", "REAL", "DOUBLE", "FLOAT8":
		t.Kind = KindFloat
	case "VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR", "UUID":
		t.Kind = KindText
	case "DATE":
		t.Kind = KindDate
	case "TIMESTAMP", "DATETIME", "TIMESTAMP_US", "TIMESTAMP_MS", "TIMESTAMP_S", "TIMESTAMP_NS",
		"TIMESTAMP WITHOUT TIME ZONE":
		t.Kind = KindDateTime
	case "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE":
		t.Kind = KindDateTimeTZ
	case "TIME", "TIME WITHOUT TIME ZONE":
		t.Kind = KindTime
	default:
		switch {
		case decimalType.MatchString(norm):
			t.Kind = KindDecimal
		case strings.HasPrefix(norm, "VARCHAR("), strings.HasPrefix(norm, "ENUM("):
			t.Kind = KindText
		default:
			return Type{}, fmt.Errorf("unsupported type %s (agentlayer queries booleans, numbers, text, dates, timestamps and times)", name)
		}
	}
	return t, nil
}

// sameType reports whether a declared type and the database's agree, allowing
// for aliases (INT and INTEGER) and the spellings of decimals.
func sameType(declared, actual Type) bool {
	if declared.Kind != actual.Kind {
		return false
	}
	switch declared.Kind {
	case KindDecimal:
		return canonDecimal(declared.Database) == canonDecimal(actual.Database)
	case KindInteger, KindBigInteger, KindFloat:
		return aliasOf(declared.Database) == aliasOf(actual.Database)
	}
	return true // every text, date, timestamp or time type of one kind reads alike
}

func canonDecimal(name string) string {
	name = strings.ReplaceAll(strings.Replace(name, "NUMERIC", "DECIMAL", 1), " ", "")
	switch {
	case name == "DECIMAL":
		return "DECIMAL(18,3)"
	case !strings.Contains(name, ","):
		return strings.TrimSuffix(name, ")") + ",0)"
	}
	return name
}

func aliasOf(name string) string {
	switch name {
	case "INT1":
		return "TINYINT"
	case "INT2", "SHORT":
		return "SMALLINT"
	case "INT", "INT4", "SIGNED":
		return "INTEGER"
	case "INT8", "LONG":
		return "BIGINT"
	case "FLOAT4", "REAL":
		return "FLOAT"
	case "FLOAT8":
		return "DOUBLE"
	}
	return name
}
