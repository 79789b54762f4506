package manager

import (
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
)

// Builtin returns every controller skiff has, by the name
// kube-controller-manager's --controllers uses for it.
func Builtin() map[string]controllerctx.Constructor {
	return map[string]controllerctx.Constructor{}
}

func scheme() *runtime.Scheme { return clientgoscheme.Scheme }
