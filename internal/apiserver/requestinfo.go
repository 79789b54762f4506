package apiserver

import (
	"net/http"
	"strings"
)

// requestInfo is what a resource URL names, as Kubernetes parses it:
// /api/v1[/namespaces/NS]/RESOURCE[/NAME[/SUBRESOURCE]] and the same below
// /apis/GROUP/VERSION.
type requestInfo struct {
	Group, Version string
	Namespace      string
	Resource       string
	Name           string
	Subresource    string
	// Verb is Kubernetes' verb: get, list, watch, create, update, patch,
	// delete, deletecollection.
	Verb string
}

// parseRequestInfo returns false for paths that name no resource.
func parseRequestInfo(r *http.Request) (*requestInfo, bool) {
	parts := splitPath(r.URL.Path)
	ri := &requestInfo{}
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		ri.Version, parts = parts[1], parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		ri.Group, ri.Version, parts = parts[1], parts[2], parts[3:]
	default:
		return nil, false
	}
	if parts[0] == "watch" {
		// The deprecated /watch/ prefix; kubectl no longer uses it.
		return nil, false
	}
	// /namespaces/NAME/status and /finalize are subresources of a
	// namespace, not resources inside it.
	if parts[0] == "namespaces" && len(parts) >= 3 && parts[2] != "status" && parts[2] != "finalize" {
		ri.Namespace, parts = parts[1], parts[2:]
	}
	ri.Resource = parts[0]
	if len(parts) > 1 {
		ri.Name = parts[1]
	}
	switch {
	case len(parts) > 2 && parts[2] == "proxy":
		// What follows proxy is the path on the backend, not a name.
		ri.Subresource = "proxy"
	case len(parts) > 2:
		ri.Subresource = strings.Join(parts[2:], "/")
	}
	ri.Verb = verbOf(r, ri)
	return ri, true
}

func verbOf(r *http.Request, ri *requestInfo) string {
	collection := ri.Name == ""
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		switch {
		case isWatch(r):
			return "watch"
		case collection:
			return "list"
		}
		return "get"
	case http.MethodPost:
		return "create"
	case http.MethodPut:
		return "update"
	case http.MethodPatch:
		return "patch"
	case http.MethodDelete:
		if collection {
			return "deletecollection"
		}
		return "delete"
	}
	return strings.ToLower(r.Method)
}

func isWatch(r *http.Request) bool {
	w := r.URL.Query().Get("watch")
	return w == "true" || w == "1"
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}
