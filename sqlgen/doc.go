// Package sqlgen turns a construct request of the Agent API into SQL: it
// validates the request against the semantic model, builds a logical query,
// plans it (joins, fan-out safety, row filters) and renders it through a
// Dialect with every value bound as a parameter.
//
// sqlgen knows nothing of users or policies: the row filters and visible
// columns of the caller arrive through the Access interface as plain values.
package sqlgen
