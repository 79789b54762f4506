// Package rbac holds the strategies of rbac.authorization.k8s.io. Names
// only need to be path segments, as in Kubernetes, so that names such as
// "system:node" are valid.
package rbac

import (
	"k8s.io/apimachinery/pkg/api/validation/path"

	"github.com/skiff-sh/skiff/internal/registry/rest"
)

var pathName = path.ValidatePathSegmentName

// Strategies returns the strategies of rbac.authorization.k8s.io.
func Strategies() rest.Strategies {
	return rest.Strategies{
		"roles":        rest.Simple{Namespaced: true, NameFn: pathName, ValidateFn: validateRole},
		"clusterroles": rest.Simple{NameFn: pathName, ValidateFn: validateClusterRole},
		"rolebindings": rest.Simple{Namespaced: true, NameFn: pathName,
			DefaultFn: defaultBinding, ValidateFn: validateBinding, ValidateUpdateFn: validateBindingUpdate},
		"clusterrolebindings": rest.Simple{NameFn: pathName,
			DefaultFn: defaultBinding, ValidateFn: validateBinding, ValidateUpdateFn: validateBindingUpdate},
	}
}
