package apiserver

import (
	"strings"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// appendRemote adds the extension servers' group/versions whose resources
// are known to the aggregated /apis list, Stale when the last check
// failed, as Kubernetes' aggregated discovery marks them.
func appendRemote(items []apidiscoveryv2.APIGroupDiscovery, remote []RemoteVersion) []apidiscoveryv2.APIGroupDiscovery {
	index := map[string]int{}
	for i, g := range items {
		index[g.Name] = i
	}
	for _, rv := range remote {
		if rv.Resources == nil {
			continue
		}
		i, ok := index[rv.Group]
		if !ok {
			i = len(items)
			index[rv.Group] = i
			items = append(items, apidiscoveryv2.APIGroupDiscovery{ObjectMeta: metav1.ObjectMeta{Name: rv.Group}})
		}
		items[i].Versions = append(items[i].Versions, versionDiscovery(rv))
	}
	return items
}

// versionDiscovery converts a legacy resource list: "a/b" entries become
// subresources of a.
func versionDiscovery(rv RemoteVersion) apidiscoveryv2.APIVersionDiscovery {
	v := apidiscoveryv2.APIVersionDiscovery{Version: rv.Version, Freshness: apidiscoveryv2.DiscoveryFreshnessCurrent}
	if rv.Stale {
		v.Freshness = apidiscoveryv2.DiscoveryFreshnessStale
	}
	byName := map[string]int{}
	for _, r := range rv.Resources.APIResources {
		if strings.Contains(r.Name, "/") {
			continue
		}
		byName[r.Name] = len(v.Resources)
		v.Resources = append(v.Resources, remoteResource(rv, r))
	}
	for _, r := range rv.Resources.APIResources {
		parent, sub, ok := strings.Cut(r.Name, "/")
		i, known := byName[parent]
		if !ok || !known {
			continue
		}
		v.Resources[i].Subresources = append(v.Resources[i].Subresources, apidiscoveryv2.APISubresourceDiscovery{
			Subresource: sub, ResponseKind: responseKind(rv, r), Verbs: r.Verbs,
		})
	}
	return v
}

func remoteResource(rv RemoteVersion, r metav1.APIResource) apidiscoveryv2.APIResourceDiscovery {
	scope := apidiscoveryv2.ScopeCluster
	if r.Namespaced {
		scope = apidiscoveryv2.ScopeNamespace
	}
	return apidiscoveryv2.APIResourceDiscovery{
		Resource: r.Name, ResponseKind: responseKind(rv, r), Scope: scope, SingularResource: r.SingularName,
		Verbs: r.Verbs, ShortNames: r.ShortNames, Categories: r.Categories,
	}
}

// responseKind is the resource's kind, in its own group and version
// unless it names others.
func responseKind(rv RemoteVersion, r metav1.APIResource) *metav1.GroupVersionKind {
	gvk := &metav1.GroupVersionKind{Group: rv.Group, Version: rv.Version, Kind: r.Kind}
	if r.Group != "" {
		gvk.Group = r.Group
	}
	if r.Version != "" {
		gvk.Version = r.Version
	}
	return gvk
}
