package apiserver

import (
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strings"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	apidiscoveryv2beta1 "k8s.io/api/apidiscovery/v2beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/registry"
)

// aggregatedDiscovery holds the aggregated discovery documents (one
// APIGroupDiscoveryList for /api and one for /apis, in each served
// version of apidiscovery.k8s.io), encoded once. Clients since kubectl
// 1.30 ask for them first and so learn every resource in two requests.
type aggregatedDiscovery struct {
	// docs is keyed by root ("api" or "apis") and apidiscovery version.
	docs map[aggregatedKey]aggregatedDoc
}

type aggregatedKey struct{ root, version string }

type aggregatedDoc struct {
	body []byte
	etag string
}

// aggregatedVersions are the apidiscovery.k8s.io versions served, in the
// order the server prefers them.
var aggregatedVersions = []string{"v2", "v2beta1"}

func newAggregatedDiscovery(resources []registry.Resource, remote []RemoteVersion) *aggregatedDiscovery {
	core, groups := aggregatedLists(resources)
	groups.Items = appendRemote(groups.Items, remote)
	a := &aggregatedDiscovery{docs: map[aggregatedKey]aggregatedDoc{}}
	for root, list := range map[string]*apidiscoveryv2.APIGroupDiscoveryList{"api": core, "apis": groups} {
		for _, v := range aggregatedVersions {
			a.docs[aggregatedKey{root, v}] = encodeAggregated(list, v)
		}
	}
	return a
}

// encodeAggregated encodes list as apidiscovery.k8s.io/version; v2beta1
// has the same fields as v2, so it is converted through JSON.
func encodeAggregated(list *apidiscoveryv2.APIGroupDiscoveryList, version string) aggregatedDoc {
	body, err := json.Marshal(list)
	if err == nil && version == "v2beta1" {
		var old apidiscoveryv2beta1.APIGroupDiscoveryList
		if err = json.Unmarshal(body, &old); err == nil {
			old.APIVersion = apidiscoveryv2beta1.SchemeGroupVersion.String()
			body, err = json.Marshal(&old)
		}
	}
	if err != nil {
		panic(fmt.Sprintf("encode aggregated discovery: %v", err)) // static types: cannot fail
	}
	return aggregatedDoc{body: body, etag: fmt.Sprintf("%q", fmt.Sprintf("%X", sha512.Sum512(body)))}
}

// aggregatedLists builds the documents of /api (the core group) and /apis
// (every other group, in registry order).
func aggregatedLists(resources []registry.Resource) (core, groups *apidiscoveryv2.APIGroupDiscoveryList) {
	newList := func() *apidiscoveryv2.APIGroupDiscoveryList {
		l := &apidiscoveryv2.APIGroupDiscoveryList{}
		l.APIVersion, l.Kind = apidiscoveryv2.SchemeGroupVersion.String(), "APIGroupDiscoveryList"
		return l
	}
	core, groups = newList(), newList()
	var order []string
	byGroup := map[string][]registry.Resource{}
	for _, res := range resources {
		if _, seen := byGroup[res.Group]; !seen {
			order = append(order, res.Group)
		}
		byGroup[res.Group] = append(byGroup[res.Group], res)
	}
	for _, name := range order {
		list := groups
		if name == "" {
			list = core
		}
		list.Items = append(list.Items, groupDiscovery(name, byGroup[name]))
	}
	return core, groups
}

// groupDiscovery lists a group's versions in registry order, each with its
// resources sorted by name.
func groupDiscovery(name string, resources []registry.Resource) apidiscoveryv2.APIGroupDiscovery {
	g := apidiscoveryv2.APIGroupDiscovery{ObjectMeta: metav1.ObjectMeta{Name: name}}
	index := map[string]int{}
	for _, res := range resources {
		i, ok := index[res.Version]
		if !ok {
			i = len(g.Versions)
			index[res.Version] = i
			g.Versions = append(g.Versions, apidiscoveryv2.APIVersionDiscovery{Version: res.Version, Freshness: apidiscoveryv2.DiscoveryFreshnessCurrent})
		}
		g.Versions[i].Resources = append(g.Versions[i].Resources, resourceDiscovery(res))
	}
	for _, v := range g.Versions {
		sort.Slice(v.Resources, func(i, j int) bool { return v.Resources[i].Resource < v.Resources[j].Resource })
	}
	return g
}

func resourceDiscovery(res registry.Resource) apidiscoveryv2.APIResourceDiscovery {
	scope := apidiscoveryv2.ScopeCluster
	if res.Namespaced {
		scope = apidiscoveryv2.ScopeNamespace
	}
	kind := res.GVK()
	d := apidiscoveryv2.APIResourceDiscovery{
		Resource:         res.Resource,
		ResponseKind:     &metav1.GroupVersionKind{Group: kind.Group, Version: kind.Version, Kind: kind.Kind},
		Scope:            scope,
		SingularResource: res.Singular,
		Verbs:            verbsOf(res),
		ShortNames:       res.ShortNames,
		Categories:       res.Categories,
	}
	subs := append([]string(nil), res.Subresources...)
	sort.Strings(subs)
	for _, sub := range subs {
		sk := subresourceKinds[sub]
		gvk := kind
		if sk.gvk.Kind != "" {
			gvk = sk.gvk
		}
		d.Subresources = append(d.Subresources, apidiscoveryv2.APISubresourceDiscovery{
			Subresource:  sub,
			ResponseKind: &metav1.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind},
			Verbs:        sk.verbs,
		})
	}
	return d
}

// serve answers /api or /apis (root) in the aggregated form when the
// Accept header asks for it; false leaves the request to legacy discovery.
func (a *aggregatedDiscovery) serve(w http.ResponseWriter, r *http.Request, root string) bool {
	version, ok := wantsAggregated(r.Header.Get("Accept"))
	if !ok {
		return false
	}
	doc, ok := a.docs[aggregatedKey{root, version}]
	if !ok {
		return false
	}
	h := w.Header()
	h.Set("Content-Type", mediaJSON+";g=apidiscovery.k8s.io;v="+version+";as=APIGroupDiscoveryList")
	h.Set("Vary", "Accept")
	h.Set("ETag", doc.etag)
	if r.Header.Get("If-None-Match") == doc.etag {
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(doc.body)
	return true
}

// wantsAggregated returns the apidiscovery version of the first JSON
// APIGroupDiscoveryList media range in accept, if any.
func wantsAggregated(accept string) (string, bool) {
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || mt != mediaJSON || params["g"] != "apidiscovery.k8s.io" || params["as"] != "APIGroupDiscoveryList" {
			continue
		}
		for _, v := range aggregatedVersions {
			if params["v"] == v {
				return v, true
			}
		}
	}
	return "", false
}
