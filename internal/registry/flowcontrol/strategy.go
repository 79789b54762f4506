// Package flowcontrol holds the strategies of flowcontrol.apiserver.k8s.io:
// FlowSchemas and PriorityLevelConfigurations, defaulted and validated as
// Kubernetes' flowcontrol v1 API does.
package flowcontrol

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
	"github.com/skiff-sh/skiff/internal/registry/workload"
)

// Strategies returns the strategies of flowcontrol.apiserver.k8s.io: both
// kinds are cluster-scoped with a spec and a status the API server writes,
// and nothing in them is immutable.
func Strategies() rest.Strategies {
	return rest.Strategies{
		"flowschemas": workload.Strategy{ClusterScoped: true, DefaultFn: defaultFlowSchema, ValidateFn: validateFlowSchema,
			ValidateStatusFn: statusOnly(validateFlowSchemaStatus)},
		"prioritylevelconfigurations": workload.Strategy{ClusterScoped: true, DefaultFn: defaultPriorityLevel, ValidateFn: validatePriorityLevel,
			ValidateStatusFn: statusOnly(validatePriorityLevelStatus)},
	}
}

// statusOnly adapts a check of the new status alone.
func statusOnly(fn func(runtime.Object) field.ErrorList) func(obj, old runtime.Object) field.ErrorList {
	return func(obj, _ runtime.Object) field.ErrorList { return fn(obj) }
}
