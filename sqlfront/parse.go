package sqlfront

import (
	"errors"
	"strings"
	"sync"

	pg "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"
)

// Kind is what a statement asks.
type Kind int

// The kinds of statement.
const (
	KindEmpty       Kind = iota // nothing (";" alone)
	KindSelect                  // a query of the model
	KindCatalog                 // a query of the catalogs, or of no table (SELECT version())
	KindSet                     // SET, RESET
	KindShow                    // SHOW
	KindTransaction             // BEGIN, START TRANSACTION, COMMIT, ROLLBACK, …
	KindDiscard                 // DISCARD
	KindDeclare                 // DECLARE … CURSOR FOR <select>
	KindFetch                   // FETCH, MOVE
	KindClose                   // CLOSE
	KindExplain                 // EXPLAIN <select>
	KindDeallocate              // DEALLOCATE
)

// Parsed is one statement of a text.
type Parsed struct {
	Text string // the statement's own text
	Kind Kind
	Node *pg.Node
	// Select is the query of a select, cursor or explain.
	Select *pg.SelectStmt
}

var cache = struct {
	sync.Mutex
	m map[string][]*Parsed
}{m: map[string][]*Parsed{}}

const cacheSize = 1024

// MaxText is the longest statement text parsed.
const MaxText = 1 << 20

// Parse parses a text of one or more statements. Texts seen before are
// parsed once (a small cache): the parse trees are shared and must not be
// changed.
func Parse(text string) ([]*Parsed, error) {
	if len(text) > MaxText {
		return nil, &Error{Code: "54000", Message: "the statement is longer than 1 MiB"}
	}
	cache.Lock()
	out, ok := cache.m[text]
	cache.Unlock()
	if ok {
		return out, nil
	}
	out, err := parse(text)
	if err != nil {
		return nil, err
	}
	cache.Lock()
	if len(cache.m) >= cacheSize {
		clear(cache.m)
	}
	cache.m[text] = out
	cache.Unlock()
	return out, nil
}

func parse(text string) ([]*Parsed, error) {
	tree, err := pg.Parse(text)
	if err != nil {
		var pe *parser.Error
		if errors.As(err, &pe) {
			return nil, &Error{Code: CodeSyntax, Message: pe.Message, Position: pe.Cursorpos}
		}
		return nil, &Error{Code: CodeSyntax, Message: err.Error()}
	}
	var out []*Parsed
	for _, raw := range tree.GetStmts() {
		start, n := int(raw.GetStmtLocation()), int(raw.GetStmtLen())
		if n == 0 {
			n = len(text) - start
		}
		p := &Parsed{Text: strings.TrimSpace(text[start : start+n]), Node: raw.GetStmt()}
		if err := classify(p, start); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// classify says what a statement asks, and refuses what changes anything
// or reaches past the model.
func classify(p *Parsed, at int) error {
	n := p.Node
	switch {
	case n == nil:
		p.Kind = KindEmpty
	case n.GetSelectStmt() != nil:
		p.Select = n.GetSelectStmt()
		p.Kind = selectKind(p.Select)
	case n.GetVariableSetStmt() != nil:
		p.Kind = KindSet
	case n.GetVariableShowStmt() != nil:
		p.Kind = KindShow
	case n.GetTransactionStmt() != nil:
		p.Kind = KindTransaction
	case n.GetDiscardStmt() != nil:
		p.Kind = KindDiscard
	case n.GetDeallocateStmt() != nil:
		p.Kind = KindDeallocate
	case n.GetDeclareCursorStmt() != nil:
		q := n.GetDeclareCursorStmt().GetQuery().GetSelectStmt()
		if q == nil || selectKind(q) != KindSelect {
			return unsupported(int32(at), "a cursor over anything but a query of the model", "DECLARE c CURSOR FOR SELECT … FROM a table of the model")
		}
		p.Kind, p.Select = KindDeclare, q
	case n.GetFetchStmt() != nil:
		p.Kind = KindFetch
	case n.GetClosePortalStmt() != nil:
		p.Kind = KindClose
	case n.GetExplainStmt() != nil:
		q := n.GetExplainStmt().GetQuery().GetSelectStmt()
		if q == nil || selectKind(q) != KindSelect {
			return unsupported(int32(at), "EXPLAIN of anything but a query of the model", "EXPLAIN SELECT … FROM a table of the model")
		}
		p.Kind, p.Select = KindExplain, q
	default:
		return refuse(n, at)
	}
	return nil
}

// refuse words a statement that would change something, or that is not
// a query.
func refuse(n *pg.Node, at int) error {
	switch {
	case n.GetInsertStmt() != nil, n.GetUpdateStmt() != nil, n.GetDeleteStmt() != nil, n.GetMergeStmt() != nil:
		return errorAt(CodeReadOnly, int32(at), "the model is read-only", "cannot execute %s in a read-only transaction", tag(n))
	case n.GetCopyStmt() != nil, n.GetDoStmt() != nil, n.GetCallStmt() != nil, n.GetListenStmt() != nil,
		n.GetNotifyStmt() != nil, n.GetLoadStmt() != nil:
		return errorAt(CodeInsufficientPriv, int32(at), "", "permission denied: %s is not allowed", tag(n))
	}
	return errorAt(CodeInsufficientPriv, int32(at), "only queries of the model are answered", "permission denied: %s is not allowed", tag(n))
}

// tag names a statement's kind as PostgreSQL's command tags do.
func tag(n *pg.Node) string {
	switch {
	case n.GetInsertStmt() != nil:
		return "INSERT"
	case n.GetUpdateStmt() != nil:
		return "UPDATE"
	case n.GetDeleteStmt() != nil:
		return "DELETE"
	case n.GetMergeStmt() != nil:
		return "MERGE"
	case n.GetCopyStmt() != nil:
		return "COPY"
	case n.GetDoStmt() != nil:
		return "DO"
	case n.GetCallStmt() != nil:
		return "CALL"
	case n.GetListenStmt() != nil:
		return "LISTEN"
	}
	name := strings.TrimPrefix(strings.TrimPrefix(typeName(n), "*pg_query.Node_"), "Stmt")
	return strings.ToUpper(strings.TrimSuffix(name, "Stmt"))
}

// selectKind tells a query of the model from one of the catalogs: a
// query naming a pg_catalog or information_schema relation, or no
// relation at all, is a catalog query.
func selectKind(sel *pg.SelectStmt) Kind {
	model, catalog := false, false
	walk(sel, func(rv *pg.RangeVar) {
		if isCatalogRelation(rv) {
			catalog = true
		} else {
			model = true
		}
	})
	if catalog || !model {
		return KindCatalog
	}
	return KindSelect
}

func isCatalogRelation(rv *pg.RangeVar) bool {
	schema := strings.ToLower(rv.GetSchemaname())
	switch schema {
	case "pg_catalog", "information_schema":
		return true
	case "", "public":
		return strings.HasPrefix(strings.ToLower(rv.GetRelname()), "pg_")
	}
	return false
}
