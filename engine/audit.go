package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/permissions"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// Provenance says what decided an answer, for tracing it without logging
// values: the policies that granted the tables it read (only policies that
// apply to its caller), the tables, and a fingerprint of the plan run.
type Provenance struct {
	// Policies name the policies applying to the caller that grant the
	// tables the answer read, in order of first use.
	Policies []string
	// Tables are the tables the answer read (each visible to the caller).
	Tables []string
	// Plan is a fingerprint of the SQL run and its bound values: equal
	// for the same query by the same user, on the same model and policy.
	Plan string
	// Cache says whether the answer came from the result cache (CacheHit)
	// or was computed and kept (CacheMiss); "" when the cache is off or
	// did not serve the answer.
	Cache string
}

// provenance is the provenance of plan, run with sqlText and args, for g.
func provenance(g *permissions.Grant, plan *sqlgen.Plan, digest [32]byte) Provenance {
	pv := Provenance{Tables: []string{}, Policies: []string{}}
	for _, r := range plan.Reads {
		if !slices.Contains(pv.Tables, r.Table.Name) {
			pv.Tables = append(pv.Tables, r.Table.Name)
		}
		for _, p := range g.Policies(r.Table) {
			if !slices.Contains(pv.Policies, p) {
				pv.Policies = append(pv.Policies, p)
			}
		}
	}
	pv.Plan = hex.EncodeToString(digest[:8])
	return pv
}

// endpointKey carries the name of what a query answers, for the audit log.
type endpointKey struct{}

// WithEndpoint names, for the audit log, what the queries run under ctx
// answer: "POST /api/agent/v1/execute", "mcp query".
func WithEndpoint(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, endpointKey{}, name)
}

// AuditRecord is one line of the audit log: a query that read data. It
// holds no value of the data, no SQL and no credential.
type AuditRecord struct {
	Time     time.Time `json:"time"`
	User     string    `json:"user"`
	Endpoint string    `json:"endpoint,omitempty"`
	Tables   []string  `json:"tables"`
	Policies []string  `json:"policies"`
	Plan     string    `json:"plan"`
	Rows     int       `json:"rows"`
	// SuppressedGroups counts the groups left out of an aggregate-only
	// answer for being smaller than its minimum group size.
	SuppressedGroups int     `json:"suppressed_groups"`
	DurationMs       float64 `json:"duration_ms"`
	// Outcome is completed, failed, timeout, canceled, or refused (by an
	// access rule that looked at the data: Rule names it).
	Outcome string `json:"outcome"`
	Rule    string `json:"rule,omitempty"`
}

// auditLog writes audit records as JSON lines, one write each.
type auditLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (a *auditLog) write(rec AuditRecord) {
	data, err := json.Marshal(rec)
	if err != nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.w.Write(append(data, '\n'))
}

// audited prepares rows to write their audit record when they close.
func (e *Engine) audited(ctx context.Context, r *Rows, p *auth.Principal, plan *sqlgen.Plan, pv Provenance, start time.Time) {
	pv.Cache = r.Provenance.Cache
	r.Provenance = pv
	if e.audit == nil {
		return
	}
	r.audit = func() {
		rec := auditRecord(ctx, p, pv, r.count, start)
		rec.Outcome = r.outcome()
		if rec.Outcome == "completed" {
			rec.SuppressedGroups = e.suppressedGroups(ctx, plan)
		}
		e.audit.write(rec)
	}
}

// auditRefusal writes the record of a query refused when planned by an
// access rule that is audited (the aggregate rules): probing shows.
func (e *Engine) auditRefusal(ctx context.Context, p *auth.Principal, q *Query, err error) {
	var re *Error
	if e.audit == nil || !errors.As(err, &re) || re.Rule == "" {
		return
	}
	pv := Provenance{Tables: []string{q.q.Table.Name}, Policies: []string{}}
	if g, gerr := q.s.grant(p); gerr == nil {
		pv.Policies = append(pv.Policies, g.Policies(q.q.Table)...)
	}
	e.auditFailure(ctx, p, pv, err, time.Now())
}

// auditFailure writes the record of a query that failed before its first
// row: refused by the aggregate rules, timed out, or failed in the
// database at its start.
func (e *Engine) auditFailure(ctx context.Context, p *auth.Principal, pv Provenance, err error, start time.Time) {
	if e.audit == nil {
		return
	}
	rec := auditRecord(ctx, p, pv, 0, start)
	var re *Error
	switch {
	case errors.As(err, &re) && re.Rule != "":
		rec.Outcome, rec.Rule = "refused", re.Rule
	case errors.Is(err, ErrTimeout):
		rec.Outcome = "timeout"
	case errors.Is(err, context.Canceled):
		rec.Outcome = "canceled"
	case errors.Is(err, ErrOverloaded), errors.Is(err, ErrUnavailable):
		return // it read nothing
	default:
		rec.Outcome = "failed"
	}
	e.audit.write(rec)
}

// suppressedGroups counts, for the audit log, the groups an answer under
// a minimum group size left out; -1 when the count failed. It runs once
// the caller has their answer, for that caller (ctx's user): in one of the
// engine's query slots, through its one path to SQL (prepared, a SELECT
// only), under a query timeout of its own.
func (e *Engine) suppressedGroups(ctx context.Context, plan *sqlgen.Plan) int {
	sqlText, args, ok := plan.SuppressedSQL()
	if !ok {
		return 0
	}
	ctx, cancel := context.WithTimeoutCause(context.WithoutCancel(ctx), e.queryTimeout, ErrTimeout)
	defer cancel()
	n, err := e.countRows(ctx, sqlText, args)
	if err != nil {
		e.log.Warn("audit: cannot count the suppressed groups", "err", err.Error())
		return -1
	}
	return n
}

// countRows runs a query of one integer in a query slot of ctx's user.
func (e *Engine) countRows(ctx context.Context, sqlText string, args []any) (int, error) {
	release, err := e.slots.acquire(ctx, userOf(ctx), e.queueTimeout)
	if err != nil {
		return 0, err
	}
	defer release()
	rows, err := e.stmts.query(ctx, sqlText, args)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int
	if !rows.Next() {
		return 0, errors.Join(rows.Err(), errors.New("no row"))
	}
	if err := rows.Scan(&n); err != nil {
		return 0, err
	}
	return n, rows.Err()
}

// auditValues writes the audit record of a field's values: one per
// request, whether its answer came from the database or the cache.
func (e *Engine) auditValues(ctx context.Context, p *auth.Principal, fv *FieldValues, start time.Time) {
	if e.audit == nil {
		return
	}
	e.audit.write(auditRecord(ctx, p, fv.Provenance, len(fv.Counts), start))
}

// auditRecord is a completed answer's record, started at start.
func auditRecord(ctx context.Context, p *auth.Principal, pv Provenance, rows int, start time.Time) AuditRecord {
	endpoint, _ := ctx.Value(endpointKey{}).(string)
	return AuditRecord{Time: start.UTC(), User: p.Email, Endpoint: endpoint, Tables: pv.Tables, Policies: pv.Policies, Plan: pv.Plan,
		Rows: rows, DurationMs: float64(time.Since(start).Microseconds()) / 1000, Outcome: "completed"}
}

// valuesRead collects what a table or metric detail read of the data (the
// field values it lists), for its one audit record.
type valuesRead struct {
	start  time.Time
	plans  []*sqlgen.Plan
	digest []byte // the plans' digests, in order
	values int
}

func (v *valuesRead) add(plan *sqlgen.Plan, digest [32]byte, n int) {
	if v == nil {
		return
	}
	v.plans = append(v.plans, plan)
	v.digest = append(v.digest, digest[:]...)
	v.values += n
}

// auditValuesRead writes the one record of a detail that listed field
// values: the tables and policies of every values query, the fingerprint
// of them all, and how many values it listed.
func (e *Engine) auditValuesRead(ctx context.Context, p *auth.Principal, g *permissions.Grant, v *valuesRead) {
	if e.audit == nil || len(v.plans) == 0 {
		return
	}
	pv := Provenance{Tables: []string{}, Policies: []string{}}
	for _, plan := range v.plans {
		one := provenance(g, plan, [32]byte{})
		for _, t := range one.Tables {
			if !slices.Contains(pv.Tables, t) {
				pv.Tables = append(pv.Tables, t)
			}
		}
		for _, name := range one.Policies {
			if !slices.Contains(pv.Policies, name) {
				pv.Policies = append(pv.Policies, name)
			}
		}
	}
	sum := sha256.Sum256(v.digest)
	pv.Plan = hex.EncodeToString(sum[:8])
	e.audit.write(auditRecord(ctx, p, pv, v.values, v.start))
}
