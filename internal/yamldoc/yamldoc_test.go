package yamldoc

import "testing"

func TestSpan_At(t *testing.T) {
	src := "a:\n  plain: row.X > 1\n  quoted: \"row.X > 1\"\n  block: |\n    row.X > 1 &&\n      row.Y\n  folded: >\n    row.X > 1 &&\n    row.Y\n"
	d, root := Parse("f.yaml", []byte(src))
	if root == nil {
		t.Fatal(d.Problems())
	}
	m := d.Mapping(root.Content[1], "a", "plain", "quoted", "block", "folded")
	tests := []struct {
		key       string
		line, col int // inside the value, CEL style
		want      Pos
	}{
		{"plain", 1, 0, Pos{"f.yaml", 2, 10}},
		{"plain", 1, 6, Pos{"f.yaml", 2, 16}},
		{"quoted", 1, 6, Pos{"f.yaml", 3, 18}},
		{"block", 1, 0, Pos{"f.yaml", 5, 5}},
		{"block", 2, 2, Pos{"f.yaml", 6, 7}},
		{"folded", 1, 13, Pos{"f.yaml", 9, 5}},
	}
	for _, tt := range tests {
		if got := d.Span(m[tt.key]).At(tt.line, tt.col); got != tt.want {
			t.Errorf("%s at %d:%d = %v, want %v", tt.key, tt.line, tt.col, got, tt.want)
		}
	}
}

func TestMapping_unknownKey(t *testing.T) {
	d, root := Parse("f.yaml", []byte("name: x\ndispaly_name: y\nname: z\n"))
	d.Mapping(root, "field", "name", "display_name")
	want := "f.yaml:2:1: unknown key \"dispaly_name\" in field (did you mean \"display_name\"?)\n    dispaly_name: y\n    ^\n" +
		"f.yaml:3:1: key \"name\" appears twice in field\n    name: z\n    ^"
	if l := Sorted(d.Problems()); l.Error() != want {
		got := l.Error()
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestScalars(t *testing.T) {
	d, root := Parse("f.yaml", []byte("s: 1\ni: x\nb: yes please\nl: [a, 2]\n"))
	m := d.Mapping(root, "doc", "s", "i", "b", "l")
	d.String(m["s"], "s")
	d.Int(m["i"], "i")
	d.Bool(m["b"], "b")
	d.Strings(m["l"], "l")
	if got := len(d.Problems()); got != 4 {
		t.Errorf("%d problems, want 4: %v", got, d.Problems())
	}
}

func TestParse_notYAML(t *testing.T) {
	d, root := Parse("f.yaml", []byte("a: [1, 2\n"))
	if root != nil || !d.Failed() {
		t.Fatal("want a syntax problem")
	}
}
