// Package v1 holds the apiregistration.k8s.io/v1 types (APIService), shaped
// and named as k8s.io/kube-aggregator's, which skiff does not depend on.
package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// SchemeGroupVersion is apiregistration.k8s.io/v1.
var SchemeGroupVersion = schema.GroupVersion{Group: "apiregistration.k8s.io", Version: "v1"}

// AddToScheme registers APIService and APIServiceList.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(SchemeGroupVersion, &APIService{}, &APIServiceList{})
	metav1.AddToGroupVersion(s, SchemeGroupVersion)
	return nil
}

// modelPrefix is where Kubernetes' OpenAPI documents name these types.
const modelPrefix = "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1."

// APIService registers a group/version served by this server (local) or
// by an extension API server behind a Service.
type APIService struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   APIServiceSpec   `json:"spec,omitempty"`
	Status APIServiceStatus `json:"status,omitempty"`
}

// APIServiceList is a list of APIServices.
type APIServiceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	Items []APIService `json:"items"`
}

// ServiceReference names the Service of an extension API server.
type ServiceReference struct {
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	// Port defaults to 443.
	Port *int32 `json:"port,omitempty"`
}

// APIServiceSpec says where a group/version is served and how it ranks.
type APIServiceSpec struct {
	// Service is nil for group/versions served locally.
	Service               *ServiceReference `json:"service,omitempty"`
	Group                 string            `json:"group,omitempty"`
	Version               string            `json:"version,omitempty"`
	InsecureSkipTLSVerify bool              `json:"insecureSkipTLSVerify,omitempty"`
	// CABundle verifies the extension server's serving certificate.
	CABundle             []byte `json:"caBundle,omitempty"`
	GroupPriorityMinimum int32  `json:"groupPriorityMinimum"`
	VersionPriority      int32  `json:"versionPriority"`
}

// ConditionStatus is True, False or Unknown.
type ConditionStatus string

// Condition statuses.
const (
	ConditionTrue    ConditionStatus = "True"
	ConditionFalse   ConditionStatus = "False"
	ConditionUnknown ConditionStatus = "Unknown"
)

// APIServiceConditionType names a condition.
type APIServiceConditionType string

// Available says whether requests for the group/version can be served.
const Available APIServiceConditionType = "Available"

// APIServiceCondition is one condition of an APIService.
type APIServiceCondition struct {
	Type               APIServiceConditionType `json:"type"`
	Status             ConditionStatus         `json:"status"`
	LastTransitionTime metav1.Time             `json:"lastTransitionTime,omitempty"`
	Reason             string                  `json:"reason,omitempty"`
	Message            string                  `json:"message,omitempty"`
}

// APIServiceStatus holds the conditions the availability checks set.
type APIServiceStatus struct {
	Conditions []APIServiceCondition `json:"conditions,omitempty"`
}

// OpenAPIModelName is the type's name in the OpenAPI documents.
func (APIService) OpenAPIModelName() string { return modelPrefix + "APIService" }

// OpenAPIModelName is the type's name in the OpenAPI documents.
func (APIServiceList) OpenAPIModelName() string { return modelPrefix + "APIServiceList" }

// Condition returns the condition of type t, or nil.
func (s *APIServiceStatus) Condition(t APIServiceConditionType) *APIServiceCondition {
	for i := range s.Conditions {
		if s.Conditions[i].Type == t {
			return &s.Conditions[i]
		}
	}
	return nil
}

// IsAvailable reports whether the Available condition is True.
func (a *APIService) IsAvailable() bool {
	c := a.Status.Condition(Available)
	return c != nil && c.Status == ConditionTrue
}
