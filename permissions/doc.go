// Package permissions decides what each user may see: which tables, which
// columns, which rows. A policy file (YAML, version 1) lists policies with
// CEL rules; Compile checks every rule once, at load, and refuses any that
// cannot be enforced exactly in SQL, with its file:line:col. For a user,
// Policies.For returns a Grant, which sqlgen asks for row filters: it
// implements sqlgen.Access.
//
//	version: 1
//	policies:
//	  - name: admins
//	    when: '"admin" in user.groups'      # CEL over user; absent: everyone
//	    tables: "*"                          # every table, column and row
//	  - name: sales
//	    when: '"sales" in user.groups'
//	    tables:
//	      PRODUCTS: "*"                      # every column and row
//	      PEOPLE:
//	        hide: [EMAIL, PASSWORD]          # or columns: [...]
//	        rows: row.STATE == user.attributes.state
//	      ORDERS:
//	        rows: row.USER.STATE == user.attributes.state   # through USER_ID
//	  - name: product
//	    when: '"product" in user.groups'
//	    tables: [PRODUCTS, REVIEWS]          # a list: every column and row
//	restrict:                                # ANDed on top, for the users they match
//	  - name: recent only
//	    when: '"contractor" in user.groups'
//	    tables:
//	      ORDERS:
//	        rows: row.CREATED_AT >= timestamp("2024-01-01T00:00:00Z")
//	        hide: [DISCOUNT]
//
// `user` has email, first_name, last_name, groups and attributes (every
// other claim of the user's token or directory entry). `columns` and `hide`
// take a list of field names or a CEL condition over `column` (name, table,
// semantic_type, type), e.g. 'column.semantic_type != "type/Email"'.
// `rows` is CEL over `row` — the table's fields, and under each foreign
// key's relationship name the fields of the table it references, which
// becomes a semi-join — and `user`.
//
// # Semantics, fail closed
//
//   - No policy grants a table: it does not exist for the user.
//   - A table is visible if an applying policy grants it; a column if an
//     applying policy grants its table and it, and no restrict policy hides
//     it.
//   - For a query, the row filter of each table is the OR of the row rules
//     of the applying policies that grant the table and every column the
//     query reads of it, ANDed with the restrict rules; if no policy grants
//     those columns together, the query is forbidden. A column granted only
//     on some rows never shows on other rows.
//   - A claim or attribute the user lacks makes the comparison that reads it
//     fail, and a failing comparison matches no row — never IS NULL, also
//     under negation. A when condition that fails for a user (it reads a
//     claim the user lacks) fails closed: a grant policy does not apply, a
//     restrict policy does. The failure is logged.
//   - A joined table's row filter applies inside the join: hidden related
//     rows give NULLs and never remove or reveal base rows.
//
// A table rule may grant aggregates past its detail rows (aggregate:
// {rows: <row condition>, min_group_size: N, time_granularity: day}), or
// aggregates only: the Grant's Aggregate gives an aggregated query its
// rows, minimum group size, time unit and the rows the user sees in
// detail anyway, and sqlgen applies the aggregate rules (sqlgen's
// aggregate.go): groups and every set two answers could differ by hold no
// rows that count or at least N, dates in whole units, no min, max, or
// sum of an identifying field. The Grant's AggregateRestriction says so in
// the one wording every adapter shows.
//
// A policy may mask a column instead of hiding it (mask: {EMAIL:
// email_domain, CITY: {with: redact, unless: <row condition>}}): the
// Grant's Mask says how, and sqlgen writes the masked value wherever the
// user reaches the column; the author's rules read true values.
//
// Rules follow relationships up to four deep (row.USER.ACCOUNT.REGION), as
// nested semi-joins over the true related rows. A policy is tested with
// agentlayer test-policy (a suite of users, requests and expectations, run
// through the Agent API in process) and a change reviewed with agentlayer
// diff-policy (what each user gains or loses); answers name the policies
// that decided them (engine.Provenance) and the engine's audit log records
// each query without its values. docs/policies.md describes it all.
//
// Row rules are translated by celsql.Compile with CEL's exact meaning
// (see there for what translates). Grants are cached, bounded, by the
// values the policies read of a user, each with its type — users alike
// share one.
//
// Its exported identifiers serve package engine and the agentlayer
// command (test-policy, diff-policy); an embedder configures policies
// through engine.Options and asks engine what a user may see.
package permissions
