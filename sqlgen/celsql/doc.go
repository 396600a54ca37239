// Package celsql translates CEL conditions over a table's rows — the row
// rules and masks' conditions of the policy file, the segments and
// filters of the model — into conditions of the SQL tree (package
// sqlast), keeping CEL's meaning exactly: Compile prepares a checked
// expression once, Filter.Bind binds it for a caller's variables.
//
// It uses no catalog, access, query or plan: only the model's table (for
// the fields row reads and the relationships it follows) and the tree.
// Its exported identifiers serve packages sqlgen and permissions; an
// embedder reaches none of them through package engine.
package celsql
