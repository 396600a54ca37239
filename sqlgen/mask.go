package sqlgen

import (
	"crypto/sha256"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// A mask replaces a column's values, for a user, wherever the user reaches
// the column: selected, filtered, grouped, sorted, counted distinct, in
// field values and statistics, through joins. What the model's author
// wrote (row rules, segments, measures) reads the true values.

// The masks, by name.
const (
	MaskNull        = "null"         // any type → NULL
	MaskRedact      = "redact"       // text → "***"; other types → NULL
	MaskHash        = "hash"         // text or integer → text: a keyed hash, equal values alike
	MaskLast4       = "last4"        // text → its last four characters
	MaskEmailDomain = "email_domain" // text → what follows the @
	MaskYear        = "year"         // date or timestamp (without zone) → truncated to its year, in UTC
	MaskMonth       = "month"        // date or timestamp (without zone) → truncated to its month, in UTC
	MaskRound       = "round"        // number → rounded to N decimal places (round(N); N < 0 rounds to tens…)
)

// MaskNames lists the masks, for messages.
var MaskNames = []string{MaskNull, MaskRedact, MaskHash, MaskLast4, MaskEmailDomain, MaskYear, MaskMonth, MaskRound + "(N)"}

// MaskFn is a mask: its name, and N for round(N).
type MaskFn struct {
	Name   string
	Digits int
}

func (m MaskFn) String() string {
	if m.Name == MaskRound {
		return fmt.Sprintf("round(%d)", m.Digits)
	}
	return m.Name
}

// ParseMask reads a mask's name for a field of kind k, refusing a mask the
// field's type cannot take.
func ParseMask(s string, k semantic.Kind) (MaskFn, error) {
	s = strings.TrimSpace(s)
	m := MaskFn{Name: s}
	if rest, ok := strings.CutPrefix(s, "round("); ok && strings.HasSuffix(rest, ")") {
		n, err := strconv.Atoi(strings.TrimSuffix(rest, ")"))
		if err != nil || n < -9 || n > 9 {
			return m, fmt.Errorf("round(N) takes an integer N from -9 to 9, not %q", s)
		}
		m = MaskFn{Name: MaskRound, Digits: n}
	}
	ok := false
	switch m.Name {
	case MaskNull, MaskRedact:
		ok = true
	case MaskHash:
		ok = k == semantic.KindText || k.IsInteger()
	case MaskLast4, MaskEmailDomain:
		ok = k == semantic.KindText
	case MaskYear, MaskMonth:
		// Truncated in UTC, the value stays the column's own kind: a
		// timestamp with a zone would change its type, so it cannot.
		ok = k == semantic.KindDate || k == semantic.KindDateTime
	case MaskRound:
		ok = k.IsNumeric()
	default:
		return m, fmt.Errorf("unknown mask %q (the masks are %s)", s, strings.Join(MaskNames, ", "))
	}
	if !ok {
		return m, fmt.Errorf("mask %s does not apply to a field of type %s", m, k)
	}
	return m, nil
}

// Mask is how a user sees a masked column: the mask, and the condition
// (over the column's table, as row rules are) under which the true value
// shows instead; nil Unmasked means never.
type Mask struct {
	Fn       MaskFn
	Unmasked sqlast.Expr
}

// masked is column x of field f, of the table instance alias, as the
// caller sees it.
func (p *planner) masked(x sqlast.Expr, f *semantic.Field, alias string) sqlast.Expr {
	m, ok := p.a.Mask(f)
	if !ok {
		return x
	}
	out := p.maskExpr(x, f, m.Fn)
	if m.Unmasked == nil || m.Unmasked == sqlast.False {
		return out
	}
	return sqlast.Case{Whens: []sqlast.When{{Cond: sqlast.Scoped{Table: f.Table, Alias: alias, X: m.Unmasked}, Then: x}}, Else: out}
}

// maskExpr is the masked value of x, a column of field f.
func (p *planner) maskExpr(x sqlast.Expr, f *semantic.Field, m MaskFn) sqlast.Expr {
	k := f.Type.Kind
	switch m.Name {
	case MaskRedact:
		if k == semantic.KindText {
			return sqlast.Case{Whens: []sqlast.When{{Cond: sqlast.IsNull{X: x}, Then: sqlast.Null}}, Else: sqlast.Constant("***")}
		}
		return sqlast.Null
	case MaskHash:
		// The HMAC-SHA256 of the value's text under the mask key, its pads
		// prepared in Go and bound.
		ipad, opad := maskPads(p.opts.MaskKey)
		mac := sqlast.Fn{Op: sqlast.FnHMAC, Args: []sqlast.Expr{sqlast.Cast{X: x, Type: sqlast.TypeText}, sqlast.Param{Value: ipad}, sqlast.Param{Value: opad}}}
		return sqlast.Call{Name: "substr", Args: []sqlast.Expr{mac, sqlast.Int(1), sqlast.Int(16)}}
	case MaskLast4:
		return sqlast.Call{Name: "right", Args: []sqlast.Expr{x, sqlast.Int(4)}}
	case MaskEmailDomain:
		return sqlast.Call{Name: "split_part", Args: []sqlast.Expr{x, sqlast.Constant("@"), sqlast.Int(2)}}
	case MaskYear:
		return sqlast.Fn{Op: sqlast.FnTrunc, Arg: string(Year), Args: []sqlast.Expr{x}, Kind: k}
	case MaskMonth:
		return sqlast.Fn{Op: sqlast.FnTrunc, Arg: string(Month), Args: []sqlast.Expr{x}, Kind: k}
	case MaskRound:
		return sqlast.Fn{Op: sqlast.FnRound, Args: []sqlast.Expr{x}, Arg: strconv.Itoa(m.Digits), Kind: k}
	}
	return sqlast.Null
}

// maskedOutput adjusts a result column for a masked field: a hash is
// text, a truncated timestamp wall-clock time.
func (p *planner) maskedOutput(out *Output, f *semantic.Field) {
	m, ok := p.a.Mask(f)
	if !ok {
		return
	}
	out.Masked = m.Fn.String()
	switch m.Fn.Name {
	case MaskHash:
		out.BaseType, out.Kind, out.SemanticType = semantic.KindText.BaseType(), semantic.KindText, ""
		out.Round, out.Currency = false, ""
	case MaskNull:
		out.SemanticType = ""
	}
}

// maskedAggregate refuses an aggregation a mask leaves no meaning to (the
// sum of hashes), and describes the result of min and max of a masked
// field as the masked values.
func (p *planner) maskedAggregate(ag Aggregate, out *Output) {
	if ag.Column == nil {
		return
	}
	m, ok := p.a.Mask(ag.Column.Wide.Field)
	if !ok {
		return
	}
	switch {
	case m.Fn.Name == MaskHash && (ag.Func == semantic.AggSum || ag.Func == semantic.AggAvg):
		p.deferred = invalid("", "%s is masked (%s) for you: it cannot be summed or averaged", ag.Column.ID, m.Fn)
	case ag.Func == semantic.AggMin || ag.Func == semantic.AggMax:
		p.maskedOutput(out, ag.Column.Wide.Field)
	}
}

// MaskPad is a pad of the hash mask's key, bound as text: a secret that
// must not reach a plan's fingerprint, which is computed from the bound
// values (the engine leaves its content out).
type MaskPad string

// Value implements driver.Valuer.
func (m MaskPad) Value() (driver.Value, error) { return string(m), nil }

// maskPads are HMAC's inner and outer pads of key (hex, as MaskKey holds
// it), each the hex of the 64-byte block key XOR 0x36 and 0x5c.
func maskPads(key string) (MaskPad, MaskPad) {
	raw, err := hex.DecodeString(key)
	if err != nil {
		raw = []byte(key)
	}
	if len(raw) > sha256.BlockSize {
		sum := sha256.Sum256(raw)
		raw = sum[:]
	}
	block := make([]byte, sha256.BlockSize)
	copy(block, raw)
	ipad, opad := make([]byte, len(block)), make([]byte, len(block))
	for i, b := range block {
		ipad[i], opad[i] = b^0x36, b^0x5c
	}
	return MaskPad(hex.EncodeToString(ipad)), MaskPad(hex.EncodeToString(opad))
}
