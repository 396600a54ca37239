// Package sqlast is the SQL tree agentlayer renders: expressions (Expr, a
// closed set of nodes), the SELECT statement (Select) and the two dialects
// that spell them (DuckDB, Postgres).
//
// Every node renders itself through a Dialect. Identifiers come only from
// the model and are always quoted; every value of a request or a user is a
// bound parameter (Param); the only SQL text a node writes is its own
// keywords and the constants of this package and the configuration (a
// date part, a time zone). Conditions are joined by AndOf and OrOf, which
// parenthesise and flatten. No SQL text is ever built from request text.
//
// The tree knows nothing of requests, users or policies: package sqlgen
// builds it from a query and a caller's access, package celsql from a
// CEL expression. Its exported identifiers serve those packages, engine
// and the tools of this module; an embedder reaches none of them through
// package engine.
package sqlast
