package pgwire

import (
	"fmt"
	"math"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/agentlayer/agentlayer/sqlfront"
)

// command runs a statement that is not a query: settings, transactions
// (every one read-only), cursors. It returns the command tag.
func (c *conn) command(st *sqlfront.Parsed) (string, error) {
	n := st.Node
	switch st.Kind {
	case sqlfront.KindEmpty:
		return "", nil
	case sqlfront.KindSet:
		v := n.GetVariableSetStmt()
		if err := c.set(v); err != nil {
			return "", err
		}
		if v.GetKind() == pg.VariableSetKind_VAR_RESET || v.GetKind() == pg.VariableSetKind_VAR_RESET_ALL {
			return "RESET", nil
		}
		return "SET", nil
	case sqlfront.KindTransaction:
		return c.transaction(n.GetTransactionStmt())
	case sqlfront.KindDiscard:
		c.closeCursors()
		return "DISCARD " + strings.TrimPrefix(n.GetDiscardStmt().GetTarget().String(), "DISCARD_"), nil
	case sqlfront.KindDeallocate:
		if name := n.GetDeallocateStmt().GetName(); name != "" {
			delete(c.stmts, name)
		} else {
			c.stmts = map[string]*prepared{}
		}
		return "DEALLOCATE", nil
	case sqlfront.KindDeclare:
		return c.declare(n.GetDeclareCursorStmt(), st)
	case sqlfront.KindFetch:
		return c.fetch(n.GetFetchStmt())
	case sqlfront.KindClose:
		name := n.GetClosePortalStmt().GetPortalname()
		if name == "" {
			c.closeCursors()
			return "CLOSE CURSOR ALL", nil
		}
		pt, ok := c.cursors[name]
		if !ok {
			return "", &sqlfront.Error{Code: "34000", Message: fmt.Sprintf("cursor %q does not exist", name)}
		}
		pt.close()
		delete(c.cursors, name)
		return "CLOSE CURSOR", nil
	}
	return "", &sqlfront.Error{Code: "0A000", Message: "this statement is not supported"}
}

func (c *conn) closeCursors() {
	for name, pt := range c.cursors {
		pt.close()
		delete(c.cursors, name)
	}
}

func (c *conn) transaction(t *pg.TransactionStmt) (string, error) {
	switch t.GetKind() {
	case pg.TransactionStmtKind_TRANS_STMT_BEGIN:
		c.inTx = true
		return "BEGIN", nil
	case pg.TransactionStmtKind_TRANS_STMT_START:
		c.inTx = true
		return "START TRANSACTION", nil
	case pg.TransactionStmtKind_TRANS_STMT_COMMIT:
		c.inTx = false
		c.closeCursors()
		return "COMMIT", nil
	case pg.TransactionStmtKind_TRANS_STMT_ROLLBACK:
		c.inTx = false
		c.closeCursors()
		return "ROLLBACK", nil
	case pg.TransactionStmtKind_TRANS_STMT_SAVEPOINT:
		return "SAVEPOINT", nil
	case pg.TransactionStmtKind_TRANS_STMT_RELEASE:
		return "RELEASE", nil
	case pg.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		return "ROLLBACK", nil
	}
	return "", &sqlfront.Error{Code: "0A000", Message: "two-phase transactions are not supported"}
}

// declare opens a cursor over a query of the model.
func (c *conn) declare(d *pg.DeclareCursorStmt, st *sqlfront.Parsed) (string, error) {
	name := d.GetPortalname()
	if _, dup := c.cursors[name]; dup {
		return "", &sqlfront.Error{Code: "42P03", Message: fmt.Sprintf("cursor %q already exists", name)}
	}
	pt := &portal{}
	if err := c.bindSelect(pt, st.Select, nil); err != nil {
		return "", err
	}
	c.cursors[name] = pt
	return "DECLARE CURSOR", nil
}

// fetch sends a cursor's next rows (FETCH) or skips them (MOVE).
func (c *conn) fetch(f *pg.FetchStmt) (string, error) {
	pt, ok := c.cursors[f.GetPortalname()]
	if !ok {
		return "", &sqlfront.Error{Code: "34000", Message: fmt.Sprintf("cursor %q does not exist", f.GetPortalname())}
	}
	if f.GetDirection() != pg.FetchDirection_FETCH_FORWARD {
		return "", &sqlfront.Error{Code: "0A000", Message: "cursors move forward only", Hint: "FETCH FORWARD n, FETCH NEXT or FETCH ALL"}
	}
	n := f.GetHowMany()
	if n <= 0 || n > math.MaxInt32 {
		n = math.MaxInt32
	}
	if pt.q != nil && pt.static == nil && !pt.started {
		if err := c.start(pt); err != nil {
			return "", err
		}
	}
	verb := "FETCH"
	if f.GetIsmove() {
		verb = "MOVE"
	} else {
		c.rowDescription(pt.cols, nil)
	}
	before := pt.sent
	if f.GetIsmove() {
		skipped := 0
		for int64(skipped) < n && pt.rows != nil && pt.rows.Next() {
			skipped++
		}
		return fmt.Sprintf("MOVE %d", skipped), nil
	}
	total, _, err := c.sendRows(pt, int(n))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s %d", verb, total-before), nil
}
