// Package admission holds the admission plugins every write passes after
// validation and before storage.
package admission

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// Chain runs plugins in order; the first error rejects the write.
type Chain []generic.Admission

// Admit runs every plugin.
func (c Chain) Admit(ctx context.Context, a *generic.Attributes) error {
	for _, p := range c {
		if err := p.Admit(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

// Validate runs the plugins that also validate the final object.
func (c Chain) Validate(ctx context.Context, a *generic.Attributes) error {
	for _, p := range c {
		if v, ok := p.(generic.ValidatingAdmission); ok {
			if err := v.Validate(ctx, a); err != nil {
				return err
			}
		}
	}
	return nil
}

// NamespaceLookup returns a namespace by name, or a NotFound error.
type NamespaceLookup func(ctx context.Context, name string) (*corev1.Namespace, error)

// NamespaceLifecycle refuses objects in namespaces that do not exist or
// are being deleted, and the deletion of the namespaces the system needs.
type NamespaceLifecycle struct {
	Get NamespaceLookup
}

// immortal namespaces cannot be deleted, as in Kubernetes.
var immortal = map[string]bool{metav1.NamespaceDefault: true, metav1.NamespaceSystem: true, metav1.NamespacePublic: true}

// Admit implements generic.Admission.
func (n NamespaceLifecycle) Admit(ctx context.Context, a *generic.Attributes) error {
	if a.Resource.Resource == "namespaces" && a.Resource.Group == "" && a.Operation == generic.Delete && immortal[a.Name] {
		return apierrors.NewForbidden(a.Resource.GroupResource(), a.Name, errors.New("this namespace may not be deleted"))
	}
	if a.Operation != generic.Create || !a.Resource.Namespaced || a.Namespace == "" {
		return nil
	}
	ns, err := n.Get(ctx, a.Namespace)
	if err != nil {
		return err
	}
	if ns.Status.Phase != corev1.NamespaceTerminating && ns.DeletionTimestamp == nil {
		return nil
	}
	msg := fmt.Sprintf("unable to create new content in namespace %s because it is being terminated", a.Namespace)
	e := apierrors.NewForbidden(a.Resource.GroupResource(), a.Name, errors.New(msg))
	e.ErrStatus.Details.Causes = append(e.ErrStatus.Details.Causes, metav1.StatusCause{Type: corev1.NamespaceTerminatingCause, Message: msg, Field: "metadata.namespace"})
	return e
}
