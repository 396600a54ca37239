package suggest

import "testing"

func TestClosest(t *testing.T) {
	cands := []string{"display_name", "description", "TOTAL", "TAX", "CREATED_AT"}
	tests := []struct{ in, want string }{
		{"dispaly_name", "display_name"},
		{"descripton", "description"},
		{"TOTL", "TOTAL"},
		{"TAXES", "TAX"},
		{"created", "CREATED_AT"},
		{"zebra", ""},
	}
	for _, tt := range tests {
		if got := Closest(tt.in, cands); got != tt.want {
			t.Errorf("Closest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
