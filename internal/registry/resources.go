// Package registry lists the resources the API server serves: their
// group, version, kind, scope, names and subresources, as Kubernetes
// publishes them in discovery.
package registry

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Resource describes one served resource.
type Resource struct {
	schema.GroupVersionResource
	Kind       string
	Singular   string
	Namespaced bool
	ShortNames []string
	Categories []string
	// Subresources served beside the main resource ("status", "scale", ...).
	Subresources []string
	// CreateOnUpdate lets PUT create a missing object, as Kubernetes allows
	// for leases, endpoints, events and RBAC objects.
	CreateOnUpdate bool
}

// GVK returns the resource's kind.
func (r Resource) GVK() schema.GroupVersionKind {
	return r.GroupVersion().WithKind(r.Kind)
}

// StoragePrefix is the etcd key prefix, below /registry.
func (r Resource) StoragePrefix() string {
	if r.Group == "events.k8s.io" {
		// Kubernetes keeps both Event APIs in one place and converts; here
		// they are separate objects, so they must not share keys.
		return r.Group + "/" + r.Resource
	}
	return r.Resource
}

// HasSubresource reports whether sub is served for the resource.
func (r Resource) HasSubresource(sub string) bool {
	for _, s := range r.Subresources {
		if s == sub {
			return true
		}
	}
	return false
}

var (
	all           = []string{"all"}
	apiExtensions = []string{"api-extensions"}
)

func core(res, kind, singular string, ns bool, short []string, subs ...string) Resource {
	return Resource{GroupVersionResource: schema.GroupVersionResource{Version: "v1", Resource: res}, Kind: kind, Singular: singular, Namespaced: ns, ShortNames: short, Subresources: subs}
}

func group(gv schema.GroupVersion, res, kind string, ns bool, short []string, subs ...string) Resource {
	return Resource{GroupVersionResource: gv.WithResource(res), Kind: kind, Singular: lower(kind), Namespaced: ns, ShortNames: short, Subresources: subs}
}

func withCategories(r Resource, c []string) Resource { r.Categories = c; return r }
func createOnUpdate(r Resource) Resource             { r.CreateOnUpdate = true; return r }

var (
	apps        = schema.GroupVersion{Group: "apps", Version: "v1"}
	batch       = schema.GroupVersion{Group: "batch", Version: "v1"}
	autoscaling = schema.GroupVersion{Group: "autoscaling", Version: "v2"}
	// autoscalingV1 is served converted from v2, which stays stored and preferred.
	autoscalingV1 = schema.GroupVersion{Group: "autoscaling", Version: "v1"}
	coord         = schema.GroupVersion{Group: "coordination.k8s.io", Version: "v1"}
	discovery     = schema.GroupVersion{Group: "discovery.k8s.io", Version: "v1"}
	networking    = schema.GroupVersion{Group: "networking.k8s.io", Version: "v1"}
	rbac          = schema.GroupVersion{Group: "rbac.authorization.k8s.io", Version: "v1"}
	storageGV     = schema.GroupVersion{Group: "storage.k8s.io", Version: "v1"}
	policy        = schema.GroupVersion{Group: "policy", Version: "v1"}
	scheduling    = schema.GroupVersion{Group: "scheduling.k8s.io", Version: "v1"}
	events        = schema.GroupVersion{Group: "events.k8s.io", Version: "v1"}
	apiext        = schema.GroupVersion{Group: "apiextensions.k8s.io", Version: "v1"}
	nodeGV        = schema.GroupVersion{Group: "node.k8s.io", Version: "v1"}
	flowcontrol   = schema.GroupVersion{Group: "flowcontrol.apiserver.k8s.io", Version: "v1"}
	certs         = schema.GroupVersion{Group: "certificates.k8s.io", Version: "v1"}
	admreg        = schema.GroupVersion{Group: "admissionregistration.k8s.io", Version: "v1"}
	apireg        = schema.GroupVersion{Group: "apiregistration.k8s.io", Version: "v1"}
)

// Builtin returns the built-in resources in the order discovery lists them.
func Builtin() []Resource {
	return []Resource{
		core("namespaces", "Namespace", "namespace", false, []string{"ns"}, "status", "finalize"),
		withCategories(core("pods", "Pod", "pod", true, []string{"po"}, "status", "binding", "eviction", "log", "exec", "attach", "portforward"), all),
		withCategories(core("services", "Service", "service", true, []string{"svc"}, "status"), all),
		createOnUpdate(core("endpoints", "Endpoints", "endpoints", true, []string{"ep"})),
		core("nodes", "Node", "node", false, []string{"no"}, "status", "proxy"),
		core("configmaps", "ConfigMap", "configmap", true, []string{"cm"}),
		core("secrets", "Secret", "secret", true, nil),
		core("serviceaccounts", "ServiceAccount", "serviceaccount", true, []string{"sa"}, "token"),
		createOnUpdate(core("events", "Event", "event", true, []string{"ev"})),
		core("persistentvolumes", "PersistentVolume", "persistentvolume", false, []string{"pv"}, "status"),
		core("persistentvolumeclaims", "PersistentVolumeClaim", "persistentvolumeclaim", true, []string{"pvc"}, "status"),
		core("resourcequotas", "ResourceQuota", "resourcequota", true, []string{"quota"}, "status"),
		core("limitranges", "LimitRange", "limitrange", true, []string{"limits"}),
		core("podtemplates", "PodTemplate", "podtemplate", true, nil),
		withCategories(core("replicationcontrollers", "ReplicationController", "replicationcontroller", true, []string{"rc"}, "status", "scale"), all),

		withCategories(group(apps, "deployments", "Deployment", true, []string{"deploy"}, "status", "scale"), all),
		withCategories(group(apps, "replicasets", "ReplicaSet", true, []string{"rs"}, "status", "scale"), all),
		withCategories(group(apps, "statefulsets", "StatefulSet", true, []string{"sts"}, "status", "scale"), all),
		withCategories(group(apps, "daemonsets", "DaemonSet", true, []string{"ds"}, "status"), all),
		group(apps, "controllerrevisions", "ControllerRevision", true, nil),

		withCategories(group(batch, "jobs", "Job", true, nil, "status"), all),
		withCategories(group(batch, "cronjobs", "CronJob", true, []string{"cj"}, "status"), all),

		withCategories(group(autoscaling, "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, []string{"hpa"}, "status"), all),
		withCategories(group(autoscalingV1, "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, []string{"hpa"}, "status"), all),

		createOnUpdate(group(coord, "leases", "Lease", true, nil)),

		group(discovery, "endpointslices", "EndpointSlice", true, nil),

		group(networking, "ingresses", "Ingress", true, []string{"ing"}, "status"),
		group(networking, "ingressclasses", "IngressClass", false, nil),
		group(networking, "networkpolicies", "NetworkPolicy", true, []string{"netpol"}),

		createOnUpdate(group(rbac, "roles", "Role", true, nil)),
		createOnUpdate(group(rbac, "clusterroles", "ClusterRole", false, nil)),
		createOnUpdate(group(rbac, "rolebindings", "RoleBinding", true, nil)),
		createOnUpdate(group(rbac, "clusterrolebindings", "ClusterRoleBinding", false, nil)),

		group(storageGV, "storageclasses", "StorageClass", false, []string{"sc"}),
		group(storageGV, "csidrivers", "CSIDriver", false, nil),
		group(storageGV, "csinodes", "CSINode", false, nil),
		group(storageGV, "csistoragecapacities", "CSIStorageCapacity", true, nil),
		group(storageGV, "volumeattachments", "VolumeAttachment", false, nil, "status"),

		group(nodeGV, "runtimeclasses", "RuntimeClass", false, nil),

		group(policy, "poddisruptionbudgets", "PodDisruptionBudget", true, []string{"pdb"}, "status"),

		group(scheduling, "priorityclasses", "PriorityClass", false, []string{"pc"}),

		createOnUpdate(group(events, "events", "Event", true, []string{"ev"})),

		group(flowcontrol, "flowschemas", "FlowSchema", false, nil, "status"),
		group(flowcontrol, "prioritylevelconfigurations", "PriorityLevelConfiguration", false, nil, "status"),
		group(certs, "certificatesigningrequests", "CertificateSigningRequest", false, []string{"csr"}, "status", "approval"),
		withCategories(group(admreg, "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false, nil), apiExtensions),
		withCategories(group(admreg, "validatingadmissionpolicies", "ValidatingAdmissionPolicy", false, nil, "status"), apiExtensions),
		withCategories(group(admreg, "validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding", false, nil), apiExtensions),
		withCategories(group(admreg, "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", false, nil), apiExtensions),

		withCategories(group(apiext, "customresourcedefinitions", "CustomResourceDefinition", false, []string{"crd", "crds"}, "status"), apiExtensions),

		withCategories(group(apireg, "apiservices", "APIService", false, nil, "status"), apiExtensions),
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
