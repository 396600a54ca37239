package sqlast

import (
	"fmt"
	"regexp/syntax"
	"strings"
	"unicode"
)

// pgMaxRepeat is PostgreSQL's largest bound of a repetition {m,n}
// (DUPMAX); RE2 allows 1000.
const pgMaxRepeat = 255

// PostgresPattern translates an RE2 regular expression (CEL's matches,
// DuckDB's regexp_matches) into a PostgreSQL advanced regular expression
// that matches exactly the same strings when applied, as the PostgreSQL
// dialect applies it, to text under COLLATE "C". It works on the parsed
// expression, not its text: every character and class range is written
// as a code point escape, so no difference between the two syntaxes (\w,
// \b, \x, flags, the meaning of . and $, which characters are special)
// can leak through. An error names what PostgreSQL cannot express.
func PostgresPattern(pattern string) (string, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", fmt.Errorf("it is not a valid RE2 expression: %v", err)
	}
	var b strings.Builder
	if err := writePG(&b, re); err != nil {
		return "", err
	}
	return b.String(), nil
}

func writePG(b *strings.Builder, re *syntax.Regexp) error {
	switch re.Op {
	case syntax.OpNoMatch:
		b.WriteString(`[^\u0000-\U0010FFFF]`)
	case syntax.OpEmptyMatch:
		b.WriteString(`(?:)`)
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			writePGRune(b, r, re.Flags&syntax.FoldCase != 0)
		}
	case syntax.OpCharClass:
		writePGClass(b, re.Rune)
	case syntax.OpAnyCharNotNL:
		b.WriteString(`[^\n]`)
	case syntax.OpAnyChar:
		// Outside newline-sensitive mode, PostgreSQL's dot matches all.
		b.WriteString(`.`)
	case syntax.OpBeginLine:
		b.WriteString(`(?:^|(?<=\n))`)
	case syntax.OpEndLine:
		b.WriteString(`(?:$|(?=\n))`)
	case syntax.OpBeginText:
		b.WriteString(`^`)
	case syntax.OpEndText:
		b.WriteString(`$`)
	case syntax.OpWordBoundary:
		b.WriteString(`\y`)
	case syntax.OpNoWordBoundary:
		b.WriteString(`\Y`)
	case syntax.OpCapture:
		b.WriteString(`(?:`)
		if err := writePG(b, re.Sub[0]); err != nil {
			return err
		}
		b.WriteString(`)`)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		return writePGRepeat(b, re)
	case syntax.OpConcat, syntax.OpAlternate:
		b.WriteString(`(?:`)
		for i, sub := range re.Sub {
			if i > 0 && re.Op == syntax.OpAlternate {
				b.WriteString(`|`)
			}
			if err := writePG(b, sub); err != nil {
				return err
			}
		}
		b.WriteString(`)`)
	default:
		return fmt.Errorf("PostgreSQL has no equivalent of %v", re.Op)
	}
	return nil
}

// writePGRepeat writes a repeated subexpression. Greediness is dropped:
// whether a string matches does not depend on it, and PostgreSQL decides
// the greediness of a whole expression by its first quantifier.
func writePGRepeat(b *strings.Builder, re *syntax.Regexp) error {
	b.WriteString(`(?:`)
	if err := writePG(b, re.Sub[0]); err != nil {
		return err
	}
	b.WriteString(`)`)
	switch re.Op {
	case syntax.OpStar:
		b.WriteString(`*`)
	case syntax.OpPlus:
		b.WriteString(`+`)
	case syntax.OpQuest:
		b.WriteString(`?`)
	default:
		if re.Min > pgMaxRepeat || re.Max > pgMaxRepeat {
			return fmt.Errorf("PostgreSQL repeats at most %d times, and this pattern asks for {%d,%d}", pgMaxRepeat, re.Min, re.Max)
		}
		switch {
		case re.Max == -1:
			fmt.Fprintf(b, `{%d,}`, re.Min)
		case re.Max == re.Min:
			fmt.Fprintf(b, `{%d}`, re.Min)
		default:
			fmt.Fprintf(b, `{%d,%d}`, re.Min, re.Max)
		}
	}
	return nil
}

// writePGRune writes one character as a code point escape; folded, as the
// class of its case variants.
func writePGRune(b *strings.Builder, r rune, fold bool) {
	if !fold || unicode.SimpleFold(r) == r {
		b.WriteString(pgEscape(r))
		return
	}
	b.WriteString(`[`)
	for f := r; ; {
		b.WriteString(pgEscape(f))
		if f = unicode.SimpleFold(f); f == r {
			break
		}
	}
	b.WriteString(`]`)
}

// writePGClass writes a class from its ranges, which the parser has
// already made positive (a negated class arrives as its complement).
func writePGClass(b *strings.Builder, ranges []rune) {
	if len(ranges) == 0 {
		b.WriteString(`[^\u0000-\U0010FFFF]`)
		return
	}
	b.WriteString(`[`)
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		b.WriteString(pgEscape(lo))
		if hi != lo {
			b.WriteString(`-` + pgEscape(hi))
		}
	}
	b.WriteString(`]`)
}

// pgEscape writes r so that PostgreSQL reads exactly r, in or out of
// brackets: ASCII letters and digits as themselves, everything else as
// \uXXXX or \UXXXXXXXX.
func pgEscape(r rune) string {
	switch {
	case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
		return string(r)
	case r <= 0xFFFF:
		return fmt.Sprintf(`\u%04X`, r)
	default:
		return fmt.Sprintf(`\U%08X`, r)
	}
}
