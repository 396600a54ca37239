// Package semantic loads and validates agentlayer's semantic model: the
// tables an agent may query, their fields, the relationships between them,
// and the named segments, measures and metrics defined over them.
//
// A model is a YAML file, read with Load (or Parse) into an immutable *Model.
// Loading collects every problem — unknown keys (with "did you mean"),
// missing or mistyped values, duplicate ids and names, unknown references,
// foreign keys to non-key fields, CEL syntax and type errors — and returns
// them together as an *Error, each at file:line:col with the offending line
// and a caret. ParsePartial also returns what loaded of a model with
// problems, its broken tables marked, so that a policy can be checked
// against the rest in the same run.
//
// # File format, version 1
//
//	version: 1                      # required; read first
//	database:
//	  name: Sample Database
//	  description: …
//	tables:
//	  - id: 1                       # positive integer, unique, stable: API ids derive from it
//	    name: ORDERS                # physical name, unique
//	    display_name: Orders        # default: the humanized name (USER_ID → User ID)
//	    description: …
//	    synonyms: [purchases, sales]
//	    source: {table: ORDERS}     # default; or {sql: "SELECT …"},
//	                                # {parquet: data/orders.parquet}, {csv: data/orders.csv}
//	                                # (file paths relative to the model file)
//	    expose: [USER.ACCOUNT]      # optional: fields 2–4 relationships away, as its own
//	    fields:                     # in order (field ids: see below)
//	      - name: ID
//	        column: ID              # default: name
//	        type: BIGINT            # DuckDB type; optional when checked against a database
//	        semantic_type: type/PK
//	        display_name: ID
//	        description: …
//	        synonyms: […]
//	        identifying: true       # optional: never grouped, filtered, summed or averaged under
//	                                # aggregate-only access (keys and person fields — email, name,
//	                                # address… — always are)
//	        bins: [0, 25, 50, 100]  # optional, numbers only: the only bounds aggregate-only access
//	                                # may filter a floating-point or decimal field by
//	      - name: USER_ID
//	        references: PEOPLE.ID   # a many-to-one foreign key to a type/PK field
//	        relationship: USER      # its name in expressions; default USER_ID → USER
//	    segments:                   # named filters; ids unique across the model
//	      - id: 1
//	        name: Large orders
//	        description: …
//	        filter: row.TOTAL > 100.0
//	      - id: 2
//	        name: My customers' orders  # a segment may read user, bound for whoever asks
//	        filter: row.USER.ACCOUNT_MANAGER == user.email
//	    measures:                   # named aggregations; ids unique across the model
//	      - id: 1
//	        name: Gross revenue
//	        aggregation: {function: sum, field: TOTAL}
//	        filter: row.DISCOUNT == null     # optional
//	metrics:
//	  - id: 1
//	    name: Revenue
//	    description: …
//	    verified: true
//	    synonyms: [sales]
//	    table: ORDERS
//	    aggregation: {function: sum, field: TOTAL}   # or measure: <measure id>
//	    filter: …                                    # optional
//	    default_time_dimension: CREATED_AT
//
// Aggregation functions are count (no field), sum, avg, min, max and
// count-distinct.
//
// # Field ids
//
// Each table has a wide column list: its own fields in model order, then, for
// each foreign key in order, the fields of the table it references, then the
// fields it exposes (expose: [USER.ACCOUNT] adds every field of the account
// of the user, named USER.ACCOUNT.REGION; USER.ACCOUNT.REGION adds one).
// Table.Wide lists them; WideField.Index is the n of the Agent API's field
// id t<table id>-<n>.
//
// n comes from the model's id lock file, model.ids.yaml beside model.yaml
// (LockFile, ParseIDLock, Options.IDs; Load reads it), which agentlayer ids
// update writes (UpdateIDs): a field keeps its number across edits, a new
// one gets its table's next number, and a removed field's number is never
// given again. Without a lock, n is the entry's position
// (Model.PositionalIDs); a lock that does not number every field is stale,
// a problem of the model.
//
// # Expressions
//
// Filters are CEL expressions over `row`, which holds the table's fields by
// name (row.TOTAL) and, under each relationship's name, the fields of the
// referenced table (row.USER.STATE), and so on for up to MaxHops
// relationships (row.USER.ACCOUNT.REGION). Every value may be null: compare with
// null to test for it. Numbers of different types compare (row.TOTAL > 100).
// Dates and timestamps are CEL timestamps; times of day cannot be used.
// Expressions are checked when the model loads; which constructs can be run
// as SQL is decided by package sqlgen/celsql, also at load.
//
// Its exported identifiers serve package engine, the packages below it and
// the agentlayer command (check, explain); an embedder loads a model
// through engine.Options and reads it through engine's descriptions
// (Engine.Context, Engine.Table, Engine.Metric), not this package's types.
package semantic
