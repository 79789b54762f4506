package ingress

import "testing"

type spec struct{ pathType, path, name string }

func buildRoutes(t *testing.T, specs []spec) []route {
	t.Helper()
	var rs []route
	for _, s := range specs {
		r, ok := newRoute(s.pathType, s.path, &backend{name: s.name})
		if !ok {
			t.Fatalf("newRoute(%q, %q) rejected", s.pathType, s.path)
		}
		rs = append(rs, r)
	}
	sortRoutes(rs)
	return rs
}

// Cases follow the examples table of the Kubernetes Ingress documentation.
func TestMatchPath(t *testing.T) {
	tests := []struct {
		name   string
		routes []spec
		path   string
		want   string // "" for no match
	}{
		{"prefix root matches all", []spec{{"Prefix", "/", "a"}}, "/anything", "a"},
		{"exact match", []spec{{"Exact", "/foo", "a"}}, "/foo", "a"},
		{"exact no trailing slash", []spec{{"Exact", "/foo", "a"}}, "/foo/", ""},
		{"exact with trailing slash", []spec{{"Exact", "/foo/", "a"}}, "/foo", ""},
		{"exact vs sub path", []spec{{"Exact", "/foo", "a"}}, "/foo/bar", ""},
		{"prefix element match", []spec{{"Prefix", "/foo", "a"}}, "/foo/bar", "a"},
		{"prefix same path", []spec{{"Prefix", "/foo", "a"}}, "/foo", "a"},
		{"prefix request trailing slash", []spec{{"Prefix", "/foo", "a"}}, "/foo/", "a"},
		{"prefix rule trailing slash", []spec{{"Prefix", "/foo/", "a"}}, "/foo", "a"},
		{"prefix is element-wise", []spec{{"Prefix", "/aaa/bb", "a"}}, "/aaa/bbb", ""},
		{"prefix not a string prefix", []spec{{"Prefix", "/aaa/bbb", "a"}}, "/aaa/bbbxyz", ""},
		{"longest prefix wins", []spec{{"Prefix", "/", "a"}, {"Prefix", "/aaa", "b"}}, "/aaa/ccc", "b"},
		{"longest prefix wins regardless of order", []spec{{"Prefix", "/aaa", "b"}, {"Prefix", "/", "a"}}, "/aaa/ccc", "b"},
		{"shorter prefix when longer misses", []spec{{"Prefix", "/", "a"}, {"Prefix", "/aaa", "b"}}, "/ccc", "a"},
		{"exact beats prefix of same length", []spec{{"Prefix", "/foo", "p"}, {"Exact", "/foo", "e"}}, "/foo", "e"},
		{"prefix when exact misses", []spec{{"Prefix", "/foo", "p"}, {"Exact", "/foo", "e"}}, "/foo/x", "p"},
		{"longer prefix beats shorter exact", []spec{{"Exact", "/foo", "e"}, {"Prefix", "/foo/bar", "p"}}, "/foo/bar", "p"},
		{"implementation specific is prefix", []spec{{"ImplementationSpecific", "/foo", "a"}}, "/foo/bar", "a"},
		{"empty implementation specific is root", []spec{{"ImplementationSpecific", "", "a"}}, "/x", "a"},
		{"no routes", nil, "/", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			if b := matchPath(buildRoutes(t, tc.routes), tc.path); b != nil {
				got = b.name
			}
			if got != tc.want {
				t.Errorf("matchPath(%q) = %q, want %q", tc.path, got, tc.want)
			}
		})
	}
}

func TestNewRouteRejectsRelativePaths(t *testing.T) {
	for _, pt := range []string{"Exact", "Prefix", "ImplementationSpecific"} {
		if _, ok := newRoute(pt, "foo", &backend{}); ok {
			t.Errorf("newRoute(%q, \"foo\") accepted a relative path", pt)
		}
	}
}

func TestTableLookup(t *testing.T) {
	tb := newTable()
	tb.exact["foo.com"] = buildRoutes(t, []spec{{"Prefix", "/app", "exact"}})
	tb.wildcard["example.com"] = buildRoutes(t, []spec{{"Prefix", "/", "wild"}})
	tb.any = buildRoutes(t, []spec{{"Prefix", "/any", "any"}})
	tb.defaultBackend = &backend{name: "default"}
	tests := []struct{ host, path, want string }{
		{"foo.com", "/app/x", "exact"},
		{"FOO.com:8080", "/app", "exact"},
		{"foo.com.", "/app", "exact"},
		{"foo.com", "/any", "any"}, // host rules miss: rules without host apply
		{"foo.com", "/other", "default"},
		{"a.example.com", "/x", "wild"},
		{"a.example.com:443", "/x", "wild"},
		{"a.b.example.com", "/x", "default"}, // a wildcard covers one label only
		{"example.com", "/x", "default"},
		{"[::1]:80", "/any/y", "any"},
	}
	for _, tc := range tests {
		if got := tb.lookup(tc.host, tc.path); got == nil || got.name != tc.want {
			t.Errorf("lookup(%q, %q) = %v, want %s", tc.host, tc.path, got, tc.want)
		}
	}
	tb.defaultBackend = nil
	if got := tb.lookup("bar.com", "/"); got != nil {
		t.Errorf("lookup without default backend = %s, want nil (404)", got.name)
	}
}
