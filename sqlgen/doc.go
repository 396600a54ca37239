// Package sqlgen turns a construct request of the Agent API into SQL.
//
//	ParseRequest  JSON ► Request           strict: unknown keys, wrong JSON types
//	Compile       Request ► Query          ids resolved as the caller sees them, values typed
//	Query.Plan    Query ► Plan             joins, row filters, ordering, limits
//	Plan.SQL      Plan ► SQL text + args   rendered through a Dialect
//
// sqlgen knows nothing of users or policies: what the caller may see
// arrives through the Access interface, row filters as plain expressions of
// the SQL tree (package sqlast, which renders them through a dialect).
// Identifiers come only from the model and are always quoted; every
// request value is a bound parameter. No SQL text is ever built from
// request text. CEL expressions of the model and the policies are
// translated by package celsql, with the same guarantees.
//
// The packages below engine are its stages, by what each knows:
//
//	semantic      the model: tables, fields, relationships, metrics; CEL checked
//	permissions   the policies: a user's grant (Access), rules compiled by celsql
//	sqlgen        request ► query ► plan, for a caller's Access
//	sqlgen/celsql CEL conditions ► SQL tree
//	sqlgen/sqlast the SQL tree and its dialects
//
// Its exported identifiers serve package engine and the tools of this
// module (agentlayer explain, the golden tests). An embedder uses engine,
// whose API names none of them.
//
// # Joins
//
// A field of a referenced table (a wide field id past the table's own
// fields) is an implicit LEFT JOIN along its foreign key: a row with a NULL
// or dangling key is kept, with NULLs for the related fields. A table
// reached through two foreign keys is joined twice, under two aliases.
// Joins only follow foreign keys to the key they reference (many-to-one),
// so an aggregate of the base table is never multiplied by a join; the
// engine checks at start that referenced keys are unique.
//
// # Time
//
// A TIMESTAMP holds UTC wall-clock times, a TIMESTAMPTZ instants, a DATE
// days. Buckets (group_by granularities, filter buckets) and extractions
// are computed on wall-clock time in the report time zone (Options.TimeZone,
// default UTC), with week buckets starting on Options.WeekStart (default
// Sunday, as Metabase). day-of-week is ISO: 1 is Monday, 7 Sunday. A date
// or timestamp value in a filter stands for the period its precision names
// ("2024-03" is March 2024 in the report zone): equals keeps that period,
// greater-than what comes after it, less-than what comes before. These
// filters compare the raw column with bounds computed in Go, so they stay
// range scans and never depend on the session's time zone.
//
// # NULL semantics
//
// A row whose field is NULL:
//
//	is-null, string-is-empty                      kept
//	is-not-null, string-is-not-empty              dropped
//	equals, any of (equals with values)           dropped
//	not-equals, none of (not-equals with values)  kept: NULL is not the value
//	greater-than, … less-than-or-equal            dropped
//	string-contains, -starts-with, -ends-with     dropped
//	string-not-contains                           kept: NULL contains nothing
//	<part>-equals (year-equals, month-equals, …)  dropped
//	<part>-not-equals                             kept
//	is-true, is-false                             dropped
//
// as Metabase does. A field of a related table is NULL when the row's
// foreign key is NULL or dangling, or when the caller may not see the
// related row.
//
// String operations ignore case (both sides are lower-cased by the
// database) and take their value literally: % and _ are characters, not
// patterns.
package sqlgen
