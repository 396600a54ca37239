// Package jsonw appends JSON values to a byte slice by hand, formatted
// exactly as encoding/json formats them, without reflection or
// allocation: result rows are written through it, and a detail page holds
// thousands of numbers and timestamps.
package jsonw

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// Float appends x as encoding/json does — the shortest decimal that
// reads back as x, exponent only below 1e-6 or from 1e21 — with a fast
// path for the values money columns hold: at most two decimals.
func Float(dst []byte, x float64) []byte {
	if x > -1e13 && x < 1e13 && x != 0 {
		if c := math.Round(x * 100); c/100 == x {
			n := int64(c)
			if n < 0 {
				dst, n = append(dst, '-'), -n
			}
			dst = strconv.AppendInt(dst, n/100, 10)
			if frac := n % 100; frac != 0 {
				dst = append(dst, '.', byte('0'+frac/10))
				if frac%10 != 0 {
					dst = append(dst, byte('0'+frac%10))
				}
			}
			return dst
		}
	}
	if a := math.Abs(x); a != 0 && (a < 1e-6 || a >= 1e21) {
		dst = strconv.AppendFloat(dst, x, 'e', -1, 64)
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2], dst = dst[n-1], dst[:n-1] // e-07 → e-7, as encoding/json
		}
		return dst
	}
	return strconv.AppendFloat(dst, x, 'f', -1, 64)
}

// RFC3339 is t.AppendFormat(dst, time.RFC3339Nano), written digit by
// digit for whole seconds: a detail page formats thousands of timestamps.
func RFC3339(dst []byte, t time.Time) []byte {
	year, month, day := t.Date()
	if t.Nanosecond() != 0 || year < 0 || year > 9999 {
		return t.AppendFormat(dst, time.RFC3339Nano)
	}
	hour, minute, sec := t.Clock()
	dst = append(dst, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-')
	dst = append2(dst, int(month), '-')
	dst = append2(dst, day, 'T')
	dst = append2(dst, hour, ':')
	dst = append2(dst, minute, ':')
	dst = append(dst, byte('0'+sec/10), byte('0'+sec%10))
	_, offset := t.Zone()
	if offset == 0 {
		return append(dst, 'Z')
	}
	sign := byte('+')
	if offset < 0 {
		sign, offset = '-', -offset
	}
	dst = append(dst, sign)
	dst = append2(dst, offset/3600, ':')
	return append(dst, byte('0'+offset/60%60/10), byte('0'+offset/60%60%10))
}

// append2 appends a two-digit number and a separator.
func append2(dst []byte, n int, sep byte) []byte {
	return append(dst, byte('0'+n/10), byte('0'+n%10), sep)
}

const hexDigits = "0123456789abcdef"

// String appends s as a JSON string, escaped as encoding/json escapes it
// but for HTML characters, which need no escaping in an API.
func String(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
