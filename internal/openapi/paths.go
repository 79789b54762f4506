package openapi

import (
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiff-sh/skiff/internal/registry"
)

// A route is one URL template with its operations, independent of the
// OpenAPI version it is written out in.
type route struct {
	path string
	// pathParams are "namespace" and/or "name", in URL order.
	pathParams []string
	// kind names the object {name} refers to, for its description.
	kind string
	ops  []operation
}

// An operation is one method on a route.
type operation struct {
	method      string // get, put, post, patch, delete
	action      string // x-kubernetes-action
	tag         string
	id          string
	description string
	gvk         schema.GroupVersionKind
	query       []string // names from queryParams
	// body is the model of the request body; patch bodies are meta.v1.Patch
	// in the four patch media types.
	body      string
	bodyOpt   bool
	patch     bool
	responses []response
	// list responses may also be watch streams.
	list bool
}

type response struct {
	code  int
	model string
}

// The query parameters each kind of operation takes, as kube-apiserver
// lists them.
var (
	listQuery             = []string{"allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit", "resourceVersion", "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds", "watch"}
	writeQuery            = []string{"dryRun", "fieldManager", "fieldValidation"}
	patchQuery            = []string{"dryRun", "fieldManager", "fieldValidation", "force"}
	deleteQuery           = []string{"dryRun", "gracePeriodSeconds", "orphanDependents", "propagationPolicy"}
	deleteCollectionQuery = []string{"continue", "dryRun", "fieldSelector", "gracePeriodSeconds", "labelSelector", "limit", "orphanDependents", "propagationPolicy", "resourceVersion", "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds"}
)

// queryParam describes a query parameter.
type queryParam struct {
	typ, description string
}

var queryParams = map[string]queryParam{
	"allowWatchBookmarks":  {"boolean", "allowWatchBookmarks asks a watch for BOOKMARK events, which carry only a resourceVersion. The server may send them at its discretion; clients must not assume when. Ignored unless watching."},
	"continue":             {"string", "continue is the token of the previous page of a paginated list, taken from its metadata.continue, to get the next page. The other list parameters must not change between pages. A token whose resourceVersion has expired yields 410 Gone."},
	"dryRun":               {"string", "When present, the request is checked and processed but nothing is stored. The only valid value is All (process every stage); anything else is rejected."},
	"fieldManager":         {"string", "fieldManager names the actor making the change, recorded in managedFields. It must be at most 128 printable characters. It is required for apply patches and optional otherwise."},
	"fieldSelector":        {"string", "A selector on the objects' fields that restricts the list. Defaults to everything."},
	"fieldValidation":      {"string", "fieldValidation tells the server what to do with fields of the request object that the schema does not know, and with fields that appear twice. Ignore drops them silently; Warn (the default) drops them and answers with a warning header for each; Strict rejects the request, listing every such field."},
	"force":                {"boolean", "force lets an apply request take over fields owned by other managers instead of failing with a conflict. It must be unset for other patch types."},
	"gracePeriodSeconds":   {"integer", "The seconds to wait before the object is deleted; it must be zero or positive. Zero means delete at once; unset means the kind's default."},
	"labelSelector":        {"string", "A selector on the objects' labels that restricts the list. Defaults to everything."},
	"limit":                {"integer", "limit is the most items a list returns. When more exist, metadata.continue holds a token for the next page. The server may return fewer items than asked, even none, with a continue token."},
	"orphanDependents":     {"boolean", "Deprecated: use propagationPolicy. Whether dependents are orphaned rather than garbage collected."},
	"propagationPolicy":    {"string", "Whether and how dependents are garbage collected: Orphan, Background or Foreground."},
	"resourceVersion":      {"string", "resourceVersion sets which versions of the data a request may be served from; see the API concepts documentation on resource versions. Defaults to unset."},
	"resourceVersionMatch": {"string", "resourceVersionMatch says how resourceVersion applies to a list: Exact or NotOlderThan. Defaults to unset."},
	"sendInitialEvents":    {"boolean", "sendInitialEvents asks a watch to begin with synthetic ADDED events for the current state, followed by a bookmark annotated k8s.io/initial-events-end. It requires resourceVersionMatch=NotOlderThan."},
	"timeoutSeconds":       {"integer", "The most seconds a list or watch call may last, whether or not there is activity."},
	"watch":                {"boolean", "Watch for changes to the described objects and return them as a stream of add, update and delete notifications, instead of a list."},
}

var prettyParam = queryParam{"string", "If 'true', the output is pretty printed."}

// subresourceKinds are the kinds the subresources read and write; empty
// means the parent's kind.
var subresourceKinds = map[string]schema.GroupVersionKind{
	"scale":    {Group: "autoscaling", Version: "v1", Kind: "Scale"},
	"binding":  {Version: "v1", Kind: "Binding"},
	"eviction": {Group: "policy", Version: "v1", Kind: "Eviction"},
	"token":    {Group: "authentication.k8s.io", Version: "v1", Kind: "TokenRequest"},
}

// gvPath is the URL prefix of a group-version, without its leading slash:
// "api/v1" or "apis/apps/v1"; it also names the /openapi/v3 document.
func gvPath(gv schema.GroupVersion) string {
	if gv.Group == "" {
		return "api/" + gv.Version
	}
	return "apis/" + gv.Group + "/" + gv.Version
}

// camel turns a group into its operation-id form: "rbac.authorization.k8s.io"
// becomes "RbacAuthorization", "" becomes "Core".
func camel(group string) string {
	if group == "" {
		return "Core"
	}
	var b strings.Builder
	for _, part := range strings.Split(strings.TrimSuffix(group, ".k8s.io"), ".") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// tag is the operations' tag: "core_v1", "rbacAuthorization_v1".
func tag(gv schema.GroupVersion) string {
	c := camel(gv.Group)
	return strings.ToLower(c[:1]) + c[1:] + "_" + gv.Version
}

// routes lists the URL templates of one group-version's resources, sorted
// by path.
func routes(gv schema.GroupVersion, resources []registry.Resource) []route {
	prefix := "/" + gvPath(gv)
	idPart := camel(gv.Group) + strings.ToUpper(gv.Version[:1]) + gv.Version[1:]
	out := []route{{
		path: prefix + "/",
		ops: []operation{{
			method: "get", id: "get" + idPart + "APIResources",
			description: "get available resources",
			responses:   []response{{200, modelAPIResourceList}},
		}},
	}}
	for _, r := range resources {
		if r.GroupVersion() != gv {
			continue
		}
		out = append(out, resourceRoutes(prefix, idPart, r)...)
	}
	for i := range out {
		for j := range out[i].ops {
			out[i].ops[j].tag = tag(gv)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

func resourceRoutes(prefix, idPart string, r registry.Resource) []route {
	gvk := r.GVK()
	kind := modelName(gvk)
	list := modelName(r.GroupVersion().WithKind(r.Kind + "List"))
	scope := ""
	collection := prefix + "/" + r.Resource
	params := []string(nil)
	if r.Namespaced {
		scope = "Namespaced"
		collection = prefix + "/namespaces/{namespace}/" + r.Resource
		params = []string{"namespace"}
	}
	item := collection + "/{name}"
	itemParams := append(append([]string(nil), params...), "name")
	id := func(verb, suffix string) string { return verb + idPart + scope + r.Kind + suffix }

	out := []route{
		{path: collection, pathParams: params, kind: r.Kind, ops: []operation{
			{method: "get", action: "list", id: id("list", ""), description: "list or watch objects of kind " + r.Kind,
				gvk: gvk, query: listQuery, responses: []response{{200, list}}, list: true},
			{method: "post", action: "post", id: id("create", ""), description: "create " + article(r.Kind),
				gvk: gvk, query: writeQuery, body: kind, responses: []response{{200, kind}, {201, kind}, {202, kind}}},
			{method: "delete", action: "deletecollection", id: "delete" + idPart + "Collection" + scope + r.Kind, description: "delete collection of " + r.Kind,
				gvk: gvk, query: deleteCollectionQuery, body: modelDeleteOptions, bodyOpt: true, responses: []response{{200, modelStatus}}},
		}},
		{path: item, pathParams: itemParams, kind: r.Kind, ops: []operation{
			{method: "get", action: "get", id: id("read", ""), description: "read the specified " + r.Kind,
				gvk: gvk, responses: []response{{200, kind}}},
			{method: "put", action: "put", id: id("replace", ""), description: "replace the specified " + r.Kind,
				gvk: gvk, query: writeQuery, body: kind, responses: []response{{200, kind}, {201, kind}}},
			{method: "patch", action: "patch", id: id("patch", ""), description: "partially update the specified " + r.Kind,
				gvk: gvk, query: patchQuery, patch: true, responses: []response{{200, kind}, {201, kind}}},
			{method: "delete", action: "delete", id: id("delete", ""), description: "delete " + article(r.Kind),
				gvk: gvk, query: deleteQuery, body: modelDeleteOptions, bodyOpt: true, responses: []response{{200, modelStatus}, {202, modelStatus}}},
		}},
	}
	if r.Namespaced {
		out = append(out, route{path: prefix + "/" + r.Resource, kind: r.Kind, ops: []operation{
			{method: "get", action: "list", id: "list" + idPart + r.Kind + "ForAllNamespaces", description: "list or watch objects of kind " + r.Kind,
				gvk: gvk, query: listQuery, responses: []response{{200, list}}, list: true},
		}})
	}
	for _, sub := range r.Subresources {
		subGVK, ok := subresourceKinds[sub]
		if !ok {
			subGVK = gvk
		}
		model := modelName(subGVK)
		title := strings.ToUpper(sub[:1]) + sub[1:]
		rt := route{path: item + "/" + sub, pathParams: itemParams, kind: subGVK.Kind}
		switch sub {
		case "status", "scale":
			rt.ops = []operation{
				{method: "get", action: "get", id: id("read", title), description: "read " + sub + " of the specified " + r.Kind,
					gvk: subGVK, responses: []response{{200, model}}},
				{method: "put", action: "put", id: id("replace", title), description: "replace " + sub + " of the specified " + r.Kind,
					gvk: subGVK, query: writeQuery, body: model, responses: []response{{200, model}, {201, model}}},
				{method: "patch", action: "patch", id: id("patch", title), description: "partially update " + sub + " of the specified " + r.Kind,
					gvk: subGVK, query: patchQuery, patch: true, responses: []response{{200, model}, {201, model}}},
			}
		case "binding", "eviction", "token":
			rt.ops = []operation{{method: "post", action: "post", id: id("create", title), description: "create " + sub + " of " + article(r.Kind),
				gvk: subGVK, query: writeQuery, body: model, responses: []response{{200, model}, {201, model}, {202, model}}}}
		case "finalize":
			rt.ops = []operation{{method: "put", action: "put", id: id("replace", title), description: "replace finalize of the specified " + r.Kind,
				gvk: subGVK, query: writeQuery, body: model, responses: []response{{200, model}, {201, model}}}}
		default:
			continue
		}
		out = append(out, rt)
	}
	return out
}

func article(kind string) string {
	if strings.ContainsRune("AEIOU", rune(kind[0])) {
		return "an " + kind
	}
	return "a " + kind
}

// roots are the models a group-version's document must define: those its
// paths name and the kinds it serves.
func roots(rs []route) []string {
	seen := map[string]bool{}
	for _, rt := range rs {
		for _, op := range rt.ops {
			if op.body != "" {
				seen[op.body] = true
			}
			if op.patch {
				seen[modelPatch] = true
			}
			if op.list {
				seen[modelWatchEvent] = true
			}
			for _, r := range op.responses {
				seen[r.model] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// servedKinds maps each model to the kinds it is served as: every
// resource's kind and list kind, the subresources' kinds, and, as
// kube-apiserver shows them, DeleteOptions and WatchEvent in every served
// group-version and Status in v1.
func servedKinds(resources []registry.Resource) map[string][]schema.GroupVersionKind {
	out := map[string][]schema.GroupVersionKind{}
	add := func(model string, gvk schema.GroupVersionKind) { out[model] = append(out[model], gvk) }
	gvs := map[schema.GroupVersion]bool{{Version: "v1"}: true}
	for _, r := range resources {
		gvk := r.GVK()
		add(modelName(gvk), gvk)
		lk := r.GroupVersion().WithKind(r.Kind + "List")
		add(modelName(lk), lk)
		gvs[r.GroupVersion()] = true
		for _, sub := range r.Subresources {
			if sk, ok := subresourceKinds[sub]; ok {
				add(modelName(sk), sk)
				gvs[sk.GroupVersion()] = true
			}
		}
	}
	for gv := range gvs {
		add(modelDeleteOptions, gv.WithKind("DeleteOptions"))
		add(modelWatchEvent, gv.WithKind("WatchEvent"))
	}
	add(modelStatus, schema.GroupVersionKind{Version: "v1", Kind: "Status"})
	return out
}
