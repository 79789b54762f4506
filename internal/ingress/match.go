package ingress

import (
	"net"
	"sort"
	"strings"
)

// route is one path of one rule. For Prefix routes path has its trailing
// slash trimmed, so "/" is stored as "" and matches every request path.
type route struct {
	exact   bool
	path    string
	backend *backend
}

// newRoute normalises an Ingress path; ok is false for paths the API would
// reject (not starting with "/"), which are skipped.
func newRoute(pathType, path string, b *backend) (route, bool) {
	if path == "" && pathType != "Exact" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") {
		return route{}, false
	}
	if pathType == "Exact" {
		return route{exact: true, path: path, backend: b}, true
	}
	// Prefix and ImplementationSpecific match element-wise.
	return route{path: strings.TrimRight(path, "/"), backend: b}, true
}

func (r route) key() string {
	if r.exact {
		return "E" + r.path
	}
	return "P" + r.path
}

func (r route) matches(p string) bool {
	if r.exact {
		return p == r.path
	}
	return r.path == "" || p == r.path || strings.HasPrefix(p, r.path+"/")
}

// sortRoutes orders routes so the first match is the one the Ingress spec
// picks: the longest path wins, and Exact beats Prefix of the same length.
func sortRoutes(rs []route) {
	sort.SliceStable(rs, func(i, j int) bool {
		if len(rs[i].path) != len(rs[j].path) {
			return len(rs[i].path) > len(rs[j].path)
		}
		return rs[i].exact && !rs[j].exact
	})
}

// matchPath returns the backend of the first matching route, or nil.
func matchPath(rs []route, p string) *backend {
	for _, r := range rs {
		if r.matches(p) {
			return r.backend
		}
	}
	return nil
}

// requestHost returns the lower-cased Host header without its port.
func requestHost(hostport string) string {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return strings.ToLower(strings.TrimSuffix(host, "."))
}

// wildcardKey returns the key under which a "*.example.com" rule is stored
// for host ("example.com" for "a.example.com"): a wildcard covers exactly one
// leading label.
func wildcardKey(host string) (string, bool) {
	i := strings.IndexByte(host, '.')
	if i <= 0 || i == len(host)-1 {
		return "", false
	}
	return host[i+1:], true
}
