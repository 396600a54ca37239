package engine

import (
	"fmt"
	"strings"
	"time"
)

// examples are names of fields the caller sees, to show how fields are
// named: one of a table's own, one through a relationship.
func (s *Schema) examples() (own, related string) {
	own, related = "NAME", "REL.NAME"
	for _, t := range s.Details {
		if len(t.Fields) > 1 && own == "NAME" {
			own = t.Fields[1].Name
		}
		for _, r := range t.RelatedTables {
			if len(r.Fields) > 1 && related == "REL.NAME" {
				related = r.Relationship + "." + r.Fields[1].Name
			}
		}
	}
	return own, related
}

// Compact writes the schema as text an agent reads in one glance: a line
// per field, related fields under their relationship, then the table's
// metrics, measures, segments and restrictions. The Agent API's
// /v1/schema and MCP's get_schema and agentlayer://model serve it.
func (s *Schema) Compact() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# now %s · time zone %s · weeks start on %s\n", s.Now.Format(time.RFC3339), s.TimeZone, s.WeekStart)
	own, related := s.examples()
	fmt.Fprintf(&b, "# Refer to a field by name, relative to the query's table or metric: %s, or %s through a\n", own, related)
	b.WriteString("# relationship; or by id: t<table>-<n> in a table query, c<metric>-<n> in a metric query.\n")
	b.WriteString("# field lines: id  reference  type  [semantic type]  [currency]  [masked:<mask>]  — description\n")
	if s.Note != "" {
		b.WriteString("\n" + s.Note + "\n")
	}
	for _, t := range s.Details {
		fmt.Fprintf(&b, "\ntable %d %s (%s)", t.ID, t.Name, t.DisplayName)
		if t.Description != "" {
			b.WriteString(" — " + oneLine(t.Description))
		}
		b.WriteString("\n")
		if id := t.DefaultTimeDimensionFieldID; id != nil {
			fmt.Fprintf(&b, "  default time: %s", *id)
			for _, f := range t.Fields {
				if f.FieldID == *id {
					b.WriteString(" " + f.Name)
				}
			}
			for _, item := range s.Tables {
				if r := item.DataRange; item.ID == t.ID && r != nil {
					fmt.Fprintf(&b, " · data from %v to %v (count \"the last N days of data\" with anchor latest)", r.From, r.To)
				}
			}
			b.WriteString("\n")
		}
		for _, f := range t.Fields {
			compactField(&b, "  ", f.Name, f)
		}
		for _, rt := range t.RelatedTables {
			fmt.Fprintf(&b, "  %s → table %d %s (%s), by %s:\n", rt.Relationship, rt.ID, rt.Name, rt.DisplayName, rt.RelatedBy)
			for _, f := range rt.Fields {
				compactField(&b, "    ", rt.Relationship+"."+f.Name, f)
			}
		}
		for _, m := range t.Metrics {
			fmt.Fprintf(&b, "  metric %d %s", m.ID, m.Name)
			if m.DefaultTimeDimensionFieldID != nil {
				fmt.Fprintf(&b, " (time: %s)", *m.DefaultTimeDimensionFieldID)
			}
			if m.Description != "" {
				b.WriteString(" — " + oneLine(m.Description))
			}
			b.WriteString("\n")
		}
		for _, x := range t.Measures {
			compactItem(&b, "measure", x)
		}
		for _, x := range t.Segments {
			compactItem(&b, "segment", x)
		}
		for _, r := range t.Restrictions {
			fmt.Fprintf(&b, "  restricted: %s\n", r.Text)
		}
	}
	return b.String()
}

func compactField(b *strings.Builder, indent, ref string, f Field) {
	fmt.Fprintf(b, "%s%s  %s  %s", indent, f.FieldID, ref, f.Type)
	if st := strings.TrimPrefix(f.SemanticType, "type/"); st != "" {
		b.WriteString("  " + st)
	}
	if f.Currency != "" {
		b.WriteString("  " + f.Currency)
	}
	if f.Masked != "" {
		b.WriteString("  masked:" + f.Masked) // you see these values through a mask
	}
	if f.DisplayName != "" && !strings.EqualFold(f.DisplayName, f.Name) {
		b.WriteString("  \"" + f.DisplayName + "\"")
	}
	if f.Description != "" {
		b.WriteString("  — " + oneLine(f.Description))
	}
	b.WriteString("\n")
}

func compactItem(b *strings.Builder, kind string, x NamedItem) {
	fmt.Fprintf(b, "  %s %d %s", kind, x.ID, x.Name)
	if x.Description != "" {
		b.WriteString(" — " + oneLine(x.Description))
	}
	b.WriteString("\n")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
