package openapi

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// apiregistration.k8s.io/v1 models, named as Kubernetes publishes them.
// The types are skiff's own (no kube-aggregator module), so openapi-gen
// does not describe them; these follow kube-aggregator's definitions.
const (
	modelAPIService          = "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService"
	modelAPIServiceList      = "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIServiceList"
	modelAPIServiceSpec      = "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIServiceSpec"
	modelAPIServiceStatus    = "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIServiceStatus"
	modelAPIServiceCondition = "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIServiceCondition"
	modelServiceReference    = "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.ServiceReference"
)

func apiregistrationDefinitions(ref common.ReferenceCallback) map[string]common.OpenAPIDefinition {
	objectMeta, listMeta, timeModel := metav1.ObjectMeta{}.OpenAPIModelName(), metav1.ListMeta{}.OpenAPIModelName(), metav1.Time{}.OpenAPIModelName()
	return map[string]common.OpenAPIDefinition{
		modelAPIService: object("APIService represents a server for a particular GroupVersion. Name must be \"version.group\".", nil, map[string]spec.Schema{
			"apiVersion": str(descAPIVersion), "kind": str(descKind),
			"metadata": refTo2(ref, objectMeta, descMetadata),
			"spec":     refTo2(ref, modelAPIServiceSpec, "Spec contains information for locating and communicating with a server"),
			"status":   refTo2(ref, modelAPIServiceStatus, "Status contains derived information about an API server"),
		}, objectMeta, modelAPIServiceSpec, modelAPIServiceStatus),
		modelAPIServiceList: object("APIServiceList is a list of APIService objects.", []string{"items"}, map[string]spec.Schema{
			"apiVersion": str(descAPIVersion), "kind": str(descKind),
			"metadata": refTo2(ref, listMeta, descListMeta),
			"items":    *spec.ArrayProperty(&spec.Schema{SchemaProps: spec.SchemaProps{Ref: ref(modelAPIService)}}).WithDescription("Items is the list of APIService"),
		}, listMeta, modelAPIService),
		modelAPIServiceSpec: object("APIServiceSpec contains information for locating and communicating with a server. Only https is supported, though you are able to disable certificate verification.", []string{"groupPriorityMinimum", "versionPriority"}, map[string]spec.Schema{
			"service":               refTo2(ref, modelServiceReference, "Service is a reference to the service for this API server.  It must communicate on port 443. If the Service is nil, that means the handling for the API groupversion is handled locally on this server. The call will simply delegate to the normal handler chain to be fulfilled."),
			"group":                 str("Group is the API group name this server hosts"),
			"version":               str("Version is the API version this server hosts.  For example, \"v1\""),
			"insecureSkipTLSVerify": *spec.BooleanProperty().WithDescription("InsecureSkipTLSVerify disables TLS certificate verification when communicating with this server. This is strongly discouraged.  You should use the CABundle instead."),
			"caBundle":              withExt(*spec.StrFmtProperty("byte").WithDescription("CABundle is a PEM encoded CA bundle which will be used to validate an API server's serving certificate. If unspecified, system trust roots on the apiserver are used."), "x-kubernetes-list-type", "atomic"),
			"groupPriorityMinimum":  *spec.Int32Property().WithDescription("GroupPriorityMinimum is the priority this group should have at least. Higher priority means that the group is preferred by clients over lower priority ones."),
			"versionPriority":       *spec.Int32Property().WithDescription("VersionPriority controls the ordering of this API version inside of its group.  Must be greater than zero."),
		}, modelServiceReference),
		modelAPIServiceStatus: object("APIServiceStatus contains derived information about an API server", nil, map[string]spec.Schema{
			"conditions": withExt(withExt(*spec.ArrayProperty(&spec.Schema{SchemaProps: spec.SchemaProps{Ref: ref(modelAPIServiceCondition)}}).WithDescription("Current service state of apiService."),
				"x-kubernetes-list-type", "map"), "x-kubernetes-list-map-keys", []any{"type"}),
		}, modelAPIServiceCondition),
		modelAPIServiceCondition: object("APIServiceCondition describes the state of an APIService at a particular point", []string{"type", "status"}, map[string]spec.Schema{
			"type":               str("Type is the type of the condition."),
			"status":             str("Status is the status of the condition. Can be True, False, Unknown."),
			"lastTransitionTime": refTo2(ref, timeModel, "Last time the condition transitioned from one status to another."),
			"reason":             str("Unique, one-word, CamelCase reason for the condition's last transition."),
			"message":            str("Human-readable message indicating details about last transition."),
		}, timeModel),
		modelServiceReference: object("ServiceReference holds a reference to Service.legacy.k8s.io", nil, map[string]spec.Schema{
			"namespace": str("Namespace is the namespace of the service"),
			"name":      str("Name is the name of the service"),
			"port":      *spec.Int32Property().WithDescription("If specified, the port on the service that hosting webhook. Default to 443 for backward compatibility. `port` should be a valid port number (1-65535, inclusive)."),
		}),
	}
}

func object(desc string, required []string, props map[string]spec.Schema, deps ...string) common.OpenAPIDefinition {
	return common.OpenAPIDefinition{
		Schema:       spec.Schema{SchemaProps: spec.SchemaProps{Description: desc, Type: []string{"object"}, Properties: props, Required: required}},
		Dependencies: deps,
	}
}

func str(desc string) spec.Schema { return *spec.StringProperty().WithDescription(desc) }

func refTo2(ref common.ReferenceCallback, model, desc string) spec.Schema {
	return spec.Schema{SchemaProps: spec.SchemaProps{Description: desc, Default: map[string]any{}, Ref: ref(model)}}
}

func withExt(s spec.Schema, key string, v any) spec.Schema {
	s.AddExtension(key, v)
	return s
}
