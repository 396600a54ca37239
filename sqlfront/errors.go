package sqlfront

import "fmt"

// The SQLSTATE codes of the errors this package gives.
const (
	CodeSyntax           = "42601" // syntax_error
	CodeUndefinedTable   = "42P01" // undefined_table
	CodeUndefinedColumn  = "42703" // undefined_column
	CodeAmbiguousColumn  = "42702" // ambiguous_column
	CodeGrouping         = "42803" // grouping_error
	CodeUndefinedObject  = "42704" // undefined_object (a measure, segment)
	CodeNotSupported     = "0A000" // feature_not_supported
	CodeInsufficientPriv = "42501" // insufficient_privilege
	CodeReadOnly         = "25006" // read_only_sql_transaction
	CodeParameter        = "22023" // invalid_parameter_value
	CodeDatatype         = "42804" // datatype_mismatch
)

// Error is a statement the mapping refuses: a SQLSTATE, PostgreSQL's kind
// of message, a hint (the nearest names the caller sees, or the supported
// form), and the 1-based character position in the statement's text it
// concerns (0: none), which clients print as "LINE 1: … ^".
type Error struct {
	Code     string
	Message  string
	Hint     string
	Position int
}

func (e *Error) Error() string { return e.Message }

func errorAt(code string, pos int32, hint, format string, args ...any) *Error {
	p := 0
	if pos >= 0 {
		p = int(pos) + 1
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Hint: hint, Position: p}
}

// unsupported refuses a construct, naming it and the supported form.
func unsupported(pos int32, what, instead string) *Error {
	return errorAt(CodeNotSupported, pos, instead, "%s is not supported", what)
}
