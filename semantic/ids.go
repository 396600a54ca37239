package semantic

import (
	"strconv"
	"strings"
)

// IDPrefix is what the field ids of one table or metric start with: t1-
// for the fields of table 1, c2- for the dimensions of metric 2. A field's
// id is its prefix and its index in the table's wide column list: t1-5.
type IDPrefix string

// TablePrefix is the prefix of the field ids of table id.
func TablePrefix(id int) IDPrefix { return IDPrefix("t" + strconv.Itoa(id) + "-") }

// MetricPrefix is the prefix of the dimension ids of metric id.
func MetricPrefix(id int) IDPrefix { return IDPrefix("c" + strconv.Itoa(id) + "-") }

// ID is the field id of entry n of the wide column list.
func (p IDPrefix) ID(n int) string { return string(p) + strconv.Itoa(n) }

// ParseFieldID splits t<table>-<n> or c<metric>-<n> into its prefix and
// n; false for anything else, non-canonical spellings included (t1-05,
// t01-5).
func ParseFieldID(id string) (prefix IDPrefix, n int, ok bool) {
	if len(id) < 4 || (id[0] != 't' && id[0] != 'c') {
		return "", 0, false
	}
	dash := strings.IndexByte(id, '-')
	if dash < 2 || dash > 10 || len(id)-dash-1 > 9 || len(id)-dash-1 < 1 {
		return "", 0, false
	}
	for i := 1; i < len(id); i++ {
		if i != dash && (id[i] < '0' || id[i] > '9') {
			return "", 0, false
		}
	}
	if (id[1] == '0' && dash > 2) || (id[dash+1] == '0' && len(id)-dash-1 > 1) {
		return "", 0, false
	}
	n, err := strconv.Atoi(id[dash+1:])
	return IDPrefix(id[:dash+1]), n, err == nil
}
