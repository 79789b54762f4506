package apiserver

import (
	"maps"
	"net/http"
	"slices"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiff-sh/skiff/internal/registry"
)

// virtualAPI is a group served without stores: each request is answered
// from what the server computes (metrics from the kubelets, reviews from
// the authenticator and authorizer), as Kubernetes serves them.
type virtualAPI struct {
	resources []registry.Resource
	verbs     metav1.Verbs
	serve     func(*Server, http.ResponseWriter, *http.Request, *requestInfo)
}

// virtualAPIs are keyed by group.
var virtualAPIs = map[string]virtualAPI{
	metricsGV.Group:        {metricsResources, metricsVerbs, (*Server).serveMetricsAPI},
	authorizationGV.Group:  {authorizationResources, reviewVerbs, (*Server).serveReview},
	authenticationGV.Group: {authenticationResources, reviewVerbs, (*Server).serveReview},
}

// virtualResources lists the virtual groups' resources in a stable order.
func virtualResources() []registry.Resource {
	groups := make([]string, 0, len(virtualAPIs))
	for g := range virtualAPIs {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	var out []registry.Resource
	for _, g := range groups {
		out = append(out, virtualAPIs[g].resources...)
	}
	for _, res := range slices.Sorted(maps.Keys(coreVirtualAPIs)) {
		out = append(out, coreVirtualAPIs[res].resources...)
	}
	return out
}

// writeComputed writes a virtual API's answer, or err, in the negotiated
// format. These kinds have no server-side columns: a Table request gets
// JSON, which kubectl prints itself.
func writeComputed(w http.ResponseWriter, r *http.Request, code int, obj runtime.Object, err error) {
	if err != nil {
		writeError(w, r, err)
		return
	}
	out, err := negotiate(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if out.as != "" {
		out = output{info: serializerFor(mediaJSON)}
	}
	writeObject(w, out, code, obj)
}
