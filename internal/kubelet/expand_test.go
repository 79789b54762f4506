package kubelet

import "testing"

func TestExpandVars(t *testing.T) {
	vars := map[string]string{"A": "a", "B": "b$(A)", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"$(A)", "a"},
		{"x$(A)y$(A)", "xaya"},
		{"$(B)", "b$(A)"}, // values are not expanded again
		{"$(MISSING)", "$(MISSING)"},
		{"$$(A)", "$(A)"},
		{"$$$(A)", "$a"},
		{"$(A", "$(A"},
		{"$A", "$A"},
		{"end$", "end$"},
		{"$(EMPTY)-", "-"},
		{"$()", "$()"},
	}
	for _, tt := range tests {
		if got := expandVars(tt.in, lookup); got != tt.want {
			t.Errorf("expandVars(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
