package manager

import (
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/skiff-sh/skiff/internal/controller/certificates"
	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/cronjob"
	"github.com/skiff-sh/skiff/internal/controller/daemonset"
	"github.com/skiff-sh/skiff/internal/controller/deployment"
	"github.com/skiff-sh/skiff/internal/controller/disruption"
	"github.com/skiff-sh/skiff/internal/controller/endpoints"
	"github.com/skiff-sh/skiff/internal/controller/endpointslice"
	"github.com/skiff-sh/skiff/internal/controller/garbagecollector"
	"github.com/skiff-sh/skiff/internal/controller/job"
	"github.com/skiff-sh/skiff/internal/controller/namespace"
	"github.com/skiff-sh/skiff/internal/controller/nodeipam"
	"github.com/skiff-sh/skiff/internal/controller/nodelifecycle"
	"github.com/skiff-sh/skiff/internal/controller/replicaset"
	"github.com/skiff-sh/skiff/internal/controller/replicationcontroller"
	"github.com/skiff-sh/skiff/internal/controller/resourcequota"
	"github.com/skiff-sh/skiff/internal/controller/rootcacertpublisher"
	"github.com/skiff-sh/skiff/internal/controller/serviceaccount"
	"github.com/skiff-sh/skiff/internal/controller/servicelb"
	"github.com/skiff-sh/skiff/internal/controller/statefulset"
	"github.com/skiff-sh/skiff/internal/controller/tainteviction"
	"github.com/skiff-sh/skiff/internal/controller/ttlafterfinished"
)

// Builtin returns every controller skiff has, by the name
// kube-controller-manager's --controllers uses for it.
func Builtin() map[string]controllerctx.Constructor {
	return map[string]controllerctx.Constructor{
		"replicaset":                replicaset.New,
		"replicationcontroller":     replicationcontroller.New,
		"deployment":                deployment.New,
		"statefulset":               statefulset.New,
		"daemonset":                 daemonset.New,
		"job":                       job.New,
		"cronjob":                   cronjob.New,
		"ttl-after-finished":        ttlafterfinished.New,
		"endpointslice":             endpointslice.New,
		"endpoints":                 endpoints.New,
		"garbagecollector":          garbagecollector.New,
		"namespace":                 namespace.New,
		"nodelifecycle":             nodelifecycle.New,
		"taint-eviction-controller": tainteviction.New,
		"nodeipam":                  nodeipam.New,
		"serviceaccount":            serviceaccount.New,
		"root-ca-cert-publisher":    rootcacertpublisher.New,
		"disruption":                disruption.New,
		"resourcequota":             resourcequota.New,
		"service-lb-controller":     servicelb.New,
		"certificatesigningrequest-signing-controller": certificates.NewSigner,
		"certificatesigningrequest-cleaner-controller": certificates.NewCleaner,
	}
}

func scheme() *runtime.Scheme { return clientgoscheme.Scheme }
