package apiserver

import (
	"errors"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"

	"github.com/skiff-sh/skiff/internal/openapi"
)

// customTypeConverter types a custom resource's fields from its
// structural schema; a schema the converter cannot read falls back to
// deduced types (maps and atomic lists), as Kubernetes does for
// definitions without a schema.
func customTypeConverter(f *fieldManagers) managedfields.TypeConverter {
	tc, err := managedfields.NewTypeConverter(openapi.CustomSchemas(openapi.Custom{Resource: f.resource, Schema: f.customStrategy.Schema()}), false)
	if err != nil {
		return managedfields.NewDeducedTypeConverter()
	}
	return tc
}

// newCustomFieldManager builds the FieldManager of a custom resource's
// writes through sub ("" or "status").
func (f *fieldManagers) newCustomFieldManager(sub string) (*managedfields.FieldManager, error) {
	f.customOnce.Do(func() { f.customTypes = customTypeConverter(f) })
	kind := f.resource.GVK()
	fm, err := managedfields.NewDefaultCRDFieldManager(f.customTypes, unstructuredConvertor{}, customDefaulter{f.customStrategy}, unstructuredCreater{}, kind, kind.GroupVersion(), sub, resetFields(f.resource, sub))
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	return fm, nil
}

// unstructuredConvertor converts custom objects between the versions of
// one definition, which share a schema (conversion strategy None): only
// apiVersion changes.
type unstructuredConvertor struct{}

func (unstructuredConvertor) Convert(in, out, _ any) error {
	u, ok := in.(*unstructured.Unstructured)
	o, ok2 := out.(*unstructured.Unstructured)
	if !ok || !ok2 {
		return apierrors.NewInternalError(errNotUnstructured)
	}
	o.Object = runtime.DeepCopyJSON(u.Object)
	return nil
}

func (unstructuredConvertor) ConvertToVersion(in runtime.Object, gv runtime.GroupVersioner) (runtime.Object, error) {
	u, ok := in.(*unstructured.Unstructured)
	if !ok {
		return nil, apierrors.NewInternalError(errNotUnstructured)
	}
	target, ok := gv.KindForGroupVersionKinds([]schema.GroupVersionKind{u.GroupVersionKind()})
	if !ok {
		return nil, apierrors.NewInternalError(errNotUnstructured)
	}
	out := u.DeepCopy()
	out.SetAPIVersion(target.GroupVersion().String())
	return out, nil
}

func (unstructuredConvertor) ConvertFieldLabel(_ schema.GroupVersionKind, label, value string) (string, string, error) {
	return label, value, nil
}

var errNotUnstructured = errors.New("custom objects are unstructured")

// unstructuredCreater makes empty custom objects.
type unstructuredCreater struct{}

func (unstructuredCreater) New(gvk schema.GroupVersionKind) (runtime.Object, error) {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetGroupVersionKind(gvk)
	return u, nil
}

// customDefaulter applies the schema's defaults, so that an applied
// configuration is compared with the live object as stored.
type customDefaulter struct{ strategy CustomStrategy }

func (d customDefaulter) Default(obj runtime.Object) {
	if s, ok := d.strategy.(interface{ Default(runtime.Object) }); ok {
		s.Default(obj)
	}
}
