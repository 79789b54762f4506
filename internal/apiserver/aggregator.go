package apiserver

import (
	"net/http"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// Aggregator sends the group/versions of APIServices backed by a Service
// to extension API servers, as Kubernetes' aggregation layer does.
type Aggregator interface {
	// Route returns the handler of gv when an APIService sends it to an
	// extension API server; such a route wins over a local one.
	Route(gv schema.GroupVersion) (http.Handler, bool)
	// Remote lists the extension servers' group/versions for discovery,
	// with a generation that changes whenever the list does.
	Remote() (generation uint64, versions []RemoteVersion)
}

// RemoteVersion is one group/version served by an extension API server.
type RemoteVersion struct {
	schema.GroupVersion
	// Resources is what the server last listed; nil before it answered.
	// Shared: never modified.
	Resources *metav1.APIResourceList
	// Stale is set when the last discovery check failed.
	Stale bool
}

// routeRemote finds the extension server of an /apis/GROUP/VERSION path.
func (s *Server) routeRemote(r *http.Request) (http.Handler, bool) {
	if s.cfg.Aggregator == nil {
		return nil, false
	}
	parts := splitPath(r.URL.Path)
	if len(parts) < 3 || parts[0] != "apis" {
		return nil, false
	}
	return s.cfg.Aggregator.Route(schema.GroupVersion{Group: parts[1], Version: parts[2]})
}

// remoteVersions returns the extension servers' group/versions and their
// generation; none without an aggregator.
func (s *Server) remoteVersions() (uint64, []RemoteVersion) {
	if s.cfg.Aggregator == nil {
		return 0, nil
	}
	return s.cfg.Aggregator.Remote()
}

// buildDiscoveryLocked makes the discovery documents of the served
// resources and the extension servers' group/versions.
func (s *Server) buildDiscoveryLocked() *discovery {
	gen, remote := s.remoteVersions()
	d := newDiscovery(s.order, s.cfg.ExternalAddress, remote)
	d.remoteGen = gen
	return d
}

// addRemote adds the extension servers' group/versions to the legacy
// documents: every one in the group list (clients then report the
// unavailable ones, as with Kubernetes), with its resources when known.
func (d *discovery) addRemote(remote []RemoteVersion) {
	for _, rv := range remote {
		if _, ok := d.resources[rv.GroupVersion]; ok {
			continue
		}
		d.addGroup(rv.GroupVersion)
		list := &metav1.APIResourceList{GroupVersion: rv.GroupVersion.String()}
		if rv.Resources != nil {
			list.APIResources = rv.Resources.APIResources
		}
		list.SetGroupVersionKind(schema.GroupVersionKind{Version: "v1", Kind: "APIResourceList"})
		d.resources[rv.GroupVersion] = list
	}
}

// remoteSet is the set of group/versions extension servers take over.
func remoteSet(remote []RemoteVersion) map[schema.GroupVersion]bool {
	set := make(map[schema.GroupVersion]bool, len(remote))
	for _, rv := range remote {
		set[rv.GroupVersion] = true
	}
	return set
}

// LocalGroupVersions lists the group/versions served here, in discovery
// order: built-in and virtual ones, and those of custom resources.
func (s *Server) LocalGroupVersions() (builtin, custom []schema.GroupVersion) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	seen := map[schema.GroupVersion]bool{}
	add := func(list *[]schema.GroupVersion, gv schema.GroupVersion) {
		if !seen[gv] {
			seen[gv] = true
			*list = append(*list, gv)
		}
	}
	for _, st := range s.order {
		if _, ok := st.Strategy.(CustomStrategy); ok {
			add(&custom, st.Resource.GroupVersion())
		} else {
			add(&builtin, st.Resource.GroupVersion())
		}
	}
	for _, res := range virtualResources() {
		add(&builtin, res.GroupVersion())
	}
	return builtin, custom
}

// preferJSON drops protobuf from the Accept header of requests for kinds
// without a protobuf encoding (skiff's own APIService type), so clients
// that prefer protobuf but accept JSON get JSON, as with custom resources.
func preferJSON(r *http.Request, st *generic.Store) {
	if _, ok := st.NewFunc().(interface{ Marshal() ([]byte, error) }); ok {
		return
	}
	parts := strings.Split(r.Header.Get("Accept"), ",")
	kept := slices.DeleteFunc(parts, func(p string) bool { return strings.HasPrefix(strings.TrimSpace(p), mediaProtobuf) })
	if len(kept) > 0 && len(kept) < len(parts) {
		r.Header.Set("Accept", strings.Join(kept, ","))
	}
}
