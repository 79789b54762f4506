package apiserver

import (
	"net/http"
	"slices"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiff-sh/skiff/internal/registry"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// discovery holds the documents of the legacy discovery API, built once.
type discovery struct {
	aggregated *aggregatedDiscovery
	versions   *metav1.APIVersions
	groups     *metav1.APIGroupList
	byGroup    map[string]*metav1.APIGroup
	resources  map[schema.GroupVersion]*metav1.APIResourceList
	// remoteGen is the generation of the extension servers' list built in.
	remoteGen uint64
}

var allVerbs = metav1.Verbs{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}

// verbsOf returns the verbs discovery lists for a resource: all of them,
// except deletecollection for namespaces, as in Kubernetes, and those of
// the virtual APIs (get and list for metrics, create for reviews).
func verbsOf(res registry.Resource) metav1.Verbs {
	if v, ok := virtualFor(res.Group, res.Resource); ok {
		return v.verbs
	}
	if res.Group == "" && res.Resource == "namespaces" {
		return metav1.Verbs{"create", "delete", "get", "list", "patch", "update", "watch"}
	}
	return allVerbs
}

// subresourceKinds names what each subresource reads and writes.
var subresourceKinds = map[string]struct {
	gvk   schema.GroupVersionKind // empty: the parent's kind
	verbs metav1.Verbs
}{
	"status":      {verbs: metav1.Verbs{"get", "patch", "update"}},
	"scale":       {gvk: scaleGVK, verbs: metav1.Verbs{"get", "patch", "update"}},
	"binding":     {gvk: schema.GroupVersionKind{Version: "v1", Kind: "Binding"}, verbs: metav1.Verbs{"create"}},
	"eviction":    {gvk: schema.GroupVersionKind{Group: "policy", Version: "v1", Kind: "Eviction"}, verbs: metav1.Verbs{"create"}},
	"token":       {gvk: schema.GroupVersionKind{Group: "authentication.k8s.io", Version: "v1", Kind: "TokenRequest"}, verbs: metav1.Verbs{"create"}},
	"finalize":    {verbs: metav1.Verbs{"update"}},
	"log":         {gvk: schema.GroupVersionKind{Version: "v1", Kind: "Pod"}, verbs: metav1.Verbs{"get"}},
	"exec":        {gvk: schema.GroupVersionKind{Version: "v1", Kind: "PodExecOptions"}, verbs: metav1.Verbs{"create", "get"}},
	"attach":      {gvk: schema.GroupVersionKind{Version: "v1", Kind: "PodAttachOptions"}, verbs: metav1.Verbs{"create", "get"}},
	"portforward": {gvk: schema.GroupVersionKind{Version: "v1", Kind: "PodPortForwardOptions"}, verbs: metav1.Verbs{"create", "get"}},
	"proxy":       {gvk: schema.GroupVersionKind{Version: "v1", Kind: "NodeProxyOptions"}, verbs: metav1.Verbs{"create", "delete", "get", "patch", "update"}},
}

// newDiscovery builds the documents of the stores' resources, the virtual
// APIs and the extension servers' group/versions (remote), which take
// precedence over local ones.
func newDiscovery(stores []*generic.Store, address string, remote []RemoteVersion) *discovery {
	d := &discovery{
		versions:  &metav1.APIVersions{Versions: []string{"v1"}, ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{{ClientCIDR: "0.0.0.0/0", ServerAddress: address}}},
		groups:    &metav1.APIGroupList{},
		byGroup:   map[string]*metav1.APIGroup{},
		resources: map[schema.GroupVersion]*metav1.APIResourceList{},
	}
	d.versions.SetGroupVersionKind(schema.GroupVersionKind{Version: "v1", Kind: "APIVersions"})
	d.groups.SetGroupVersionKind(schema.GroupVersionKind{Version: "v1", Kind: "APIGroupList"})
	resources := make([]registry.Resource, 0, len(stores))
	for _, st := range stores {
		resources = append(resources, st.Resource)
	}
	// The virtual APIs have no stores but are listed like any group.
	resources = append(resources, virtualResources()...)
	taken := remoteSet(remote)
	resources = slices.DeleteFunc(resources, func(r registry.Resource) bool { return taken[r.GroupVersion()] })
	for _, res := range resources {
		d.add(res)
	}
	d.addRemote(remote)
	d.aggregated = newAggregatedDiscovery(resources, remote)
	return d
}

func (d *discovery) add(res registry.Resource) {
	gv := res.GroupVersion()
	list := d.resources[gv]
	if list == nil {
		list = &metav1.APIResourceList{GroupVersion: gv.String()}
		list.SetGroupVersionKind(schema.GroupVersionKind{Version: "v1", Kind: "APIResourceList"})
		d.resources[gv] = list
		if gv.Group != "" {
			d.addGroup(gv)
		}
	}
	list.APIResources = append(list.APIResources, metav1.APIResource{
		Name: res.Resource, SingularName: res.Singular, Namespaced: res.Namespaced, Kind: res.Kind,
		Verbs: verbsOf(res), ShortNames: res.ShortNames, Categories: res.Categories,
	})
	for _, sub := range res.Subresources {
		sk := subresourceKinds[sub]
		r := metav1.APIResource{Name: res.Resource + "/" + sub, Namespaced: res.Namespaced, Kind: res.Kind, Verbs: sk.verbs}
		if sk.gvk.Kind != "" {
			r.Group, r.Version, r.Kind = sk.gvk.Group, sk.gvk.Version, sk.gvk.Kind
		}
		list.APIResources = append(list.APIResources, r)
	}
	sort.SliceStable(list.APIResources, func(i, j int) bool { return list.APIResources[i].Name < list.APIResources[j].Name })
}

// addGroup lists gv in its group; the first version added is preferred.
func (d *discovery) addGroup(gv schema.GroupVersion) {
	v := metav1.GroupVersionForDiscovery{GroupVersion: gv.String(), Version: gv.Version}
	if one := d.byGroup[gv.Group]; one != nil {
		one.Versions = append(one.Versions, v)
		for i := range d.groups.Groups {
			if d.groups.Groups[i].Name == gv.Group {
				d.groups.Groups[i].Versions = append(d.groups.Groups[i].Versions, v)
			}
		}
		return
	}
	g := metav1.APIGroup{Name: gv.Group, Versions: []metav1.GroupVersionForDiscovery{v}, PreferredVersion: v}
	d.groups.Groups = append(d.groups.Groups, g)
	one := g
	one.Versions = append([]metav1.GroupVersionForDiscovery(nil), g.Versions...)
	one.SetGroupVersionKind(schema.GroupVersionKind{Version: "v1", Kind: "APIGroup"})
	d.byGroup[gv.Group] = &one
}

// serve answers /api, /apis, /apis/GROUP and the version documents; false
// means the path is not a discovery path.
func (d *discovery) serve(w http.ResponseWriter, r *http.Request) bool {
	parts := splitPath(r.URL.Path)
	if len(parts) == 1 && d.aggregated.serve(w, r, parts[0]) {
		return true
	}
	var obj runtime.Object
	switch {
	case len(parts) == 1 && parts[0] == "api":
		obj = d.versions
	case len(parts) == 1 && parts[0] == "apis":
		obj = d.groups
	case len(parts) == 2 && parts[0] == "api":
		obj = d.resources[schema.GroupVersion{Version: parts[1]}]
	case len(parts) == 2 && parts[0] == "apis":
		obj = d.byGroup[parts[1]]
	case len(parts) == 3 && parts[0] == "apis":
		obj = d.resources[schema.GroupVersion{Group: parts[1], Version: parts[2]}]
	default:
		return false
	}
	if obj == nil || isNilObject(obj) {
		http.NotFound(w, r)
		return true
	}
	writeObject(w, output{info: serializerFor(mediaJSON)}, http.StatusOK, obj)
	return true
}

func isNilObject(obj runtime.Object) bool {
	switch o := obj.(type) {
	case *metav1.APIResourceList:
		return o == nil
	case *metav1.APIGroup:
		return o == nil
	}
	return false
}
