package crd

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/util/jsonpath"

	"github.com/skiff-sh/skiff/internal/printers"
)

// strategy is the rest.Strategy of one served version of a custom
// resource; it also implements apiserver.CustomStrategy.
type strategy struct {
	gvk        schema.GroupVersionKind
	namespaced bool
	schema     *Schema
	status     bool
	scale      *apiextensionsv1.CustomResourceSubresourceScale
	columns    []metav1.TableColumnDefinition
	cells      []*jsonpath.JSONPath
}

func newStrategy(crd *apiextensionsv1.CustomResourceDefinition, v *apiextensionsv1.CustomResourceDefinitionVersion) *strategy {
	s := &strategy{
		gvk:        schema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind},
		namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
	}
	if v.Schema != nil {
		s.schema = v.Schema.OpenAPIV3Schema
	}
	if v.Subresources != nil {
		s.status = v.Subresources.Status != nil
		s.scale = v.Subresources.Scale
	}
	s.columns = []metav1.TableColumnDefinition{{Name: "Name", Type: "string", Format: "name", Description: metav1.ObjectMeta{}.SwaggerDoc()["name"]}}
	cols := v.AdditionalPrinterColumns
	if len(cols) == 0 {
		cols = []apiextensionsv1.CustomResourceColumnDefinition{{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp"}}
	}
	for _, c := range cols {
		jp := jsonpath.New(c.Name).AllowMissingKeys(true)
		if err := jp.Parse(fmt.Sprintf("{%s}", c.JSONPath)); err != nil {
			continue // validation refuses such definitions
		}
		s.columns = append(s.columns, metav1.TableColumnDefinition{Name: c.Name, Type: c.Type, Format: c.Format, Description: c.Description, Priority: c.Priority})
		s.cells = append(s.cells, jp)
	}
	return s
}

func (s *strategy) object(obj runtime.Object) map[string]any {
	return obj.(*unstructured.Unstructured).Object
}

// Default prunes unknown fields and applies the schema's defaults.
func (s *strategy) Default(obj runtime.Object) {
	if s.schema == nil {
		return
	}
	o := s.object(obj)
	Prune(o, s.schema)
	Default(o, s.schema)
}

// Schema returns the version's structural schema, nil when it has none.
func (s *strategy) Schema() *Schema { return s.schema }

// PrepareForCreate drops the status when it is a subresource.
func (s *strategy) PrepareForCreate(obj runtime.Object) {
	if s.status {
		delete(s.object(obj), "status")
	}
}

// PrepareForUpdate keeps the status when it is a subresource and bumps
// the generation when anything but metadata and status changed.
func (s *strategy) PrepareForUpdate(obj, old runtime.Object) {
	o, prev := s.object(obj), s.object(old)
	if s.status {
		if st, ok := prev["status"]; ok {
			o["status"] = runtime.DeepCopyJSONValue(st)
		} else {
			delete(o, "status")
		}
	}
	if !apiequality.Semantic.DeepEqual(withoutMeta(o, s.status), withoutMeta(prev, s.status)) {
		u := obj.(*unstructured.Unstructured)
		u.SetGeneration(old.(*unstructured.Unstructured).GetGeneration() + 1)
	}
}

func withoutMeta(o map[string]any, status bool) map[string]any {
	out := make(map[string]any, len(o))
	for k, v := range o {
		if k == "metadata" || (status && k == "status") {
			continue
		}
		out[k] = v
	}
	return out
}

// Validate checks metadata, apiVersion/kind and the schema.
func (s *strategy) Validate(obj runtime.Object) field.ErrorList {
	om, errs := objectMeta(obj)
	if errs == nil {
		errs = apivalidation.ValidateObjectMeta(om, s.namespaced, apivalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	}
	return append(errs, s.validateBody(obj, nil)...)
}

// ValidateUpdate checks metadata changes and the schema.
func (s *strategy) ValidateUpdate(obj, old runtime.Object) field.ErrorList {
	om, errs := objectMeta(obj)
	oldMeta, oldErrs := objectMeta(old)
	if errs == nil && oldErrs == nil {
		errs = apivalidation.ValidateObjectMetaUpdate(om, oldMeta, field.NewPath("metadata"))
	}
	return append(errs, s.validateBody(obj, old)...)
}

// validateBody checks the object against the schema; old is the object
// it replaces (nil on create), for CEL transition rules.
func (s *strategy) validateBody(obj, old runtime.Object) field.ErrorList {
	var errs field.ErrorList
	u := obj.(*unstructured.Unstructured)
	if u.GetKind() != s.gvk.Kind {
		errs = append(errs, field.Invalid(field.NewPath("kind"), u.GetKind(), "must be "+s.gvk.Kind))
	}
	if u.GetAPIVersion() != s.gvk.GroupVersion().String() {
		errs = append(errs, field.Invalid(field.NewPath("apiVersion"), u.GetAPIVersion(), "must be "+s.gvk.GroupVersion().String()))
	}
	if s.schema == nil {
		return errs
	}
	var oldRoot *any
	if old != nil {
		var o any = ruleView(old.(*unstructured.Unstructured).Object)
		oldRoot = &o
	}
	for name, v := range u.Object {
		if name == "apiVersion" || name == "kind" || name == "metadata" {
			continue
		}
		if ps, ok := s.schema.Properties[name]; ok {
			errs = append(errs, validate(v, fieldOf(oldRoot, name), &ps, field.NewPath(name))...)
		}
	}
	// The root's own rules see the whole object.
	errs = append(errs, validateRules(ruleView(u.Object), oldRoot, s.schema, nil)...)
	for _, name := range s.schema.Required {
		if _, ok := u.Object[name]; !ok {
			errs = append(errs, field.Required(field.NewPath(name), ""))
		}
	}
	if s.scale != nil {
		if n, ok, _ := unstructured.NestedFieldNoCopy(u.Object, fieldsOf(s.scale.SpecReplicasPath)...); ok {
			if i, isInt := n.(int64); !isInt || i < 0 || i > 1<<31-1 {
				errs = append(errs, field.Invalid(field.NewPath("", fieldsOf(s.scale.SpecReplicasPath)...), n, "should be a non-negative integer"))
			}
		}
	}
	return errs
}

// ruleView is the object as root CEL rules see it: of metadata only
// name and generateName, as in Kubernetes.
func ruleView(o map[string]any) map[string]any {
	out := withoutMeta(o, false)
	meta := map[string]any{}
	if m, ok := o["metadata"].(map[string]any); ok {
		for _, k := range []string{"name", "generateName"} {
			if v, ok := m[k]; ok {
				meta[k] = v
			}
		}
	}
	out["metadata"] = meta
	return out
}

func fieldsOf(path string) []string {
	return strings.Split(strings.TrimPrefix(path, "."), ".")
}

func objectMeta(obj runtime.Object) (*metav1.ObjectMeta, field.ErrorList) {
	om := &metav1.ObjectMeta{}
	m, _ := obj.(*unstructured.Unstructured).Object["metadata"].(map[string]any)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, om); err != nil {
		return nil, field.ErrorList{field.Invalid(field.NewPath("metadata"), nil, err.Error())}
	}
	return om, nil
}

// PrepareForStatusUpdate keeps everything of old but the status.
func (s *strategy) PrepareForStatusUpdate(obj, old runtime.Object) {
	o, prev := s.object(obj), s.object(old)
	st, hasStatus := o["status"]
	for k := range o {
		delete(o, k)
	}
	for k, v := range prev {
		o[k] = runtime.DeepCopyJSONValue(v)
	}
	if hasStatus {
		o["status"] = st
	} else {
		delete(o, "status")
	}
}

// ValidateStatusUpdate checks the status against the schema.
func (s *strategy) ValidateStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return s.ValidateUpdate(obj, old)
}

// UnknownFields lists the fields pruning drops from a request body.
func (s *strategy) UnknownFields(obj map[string]any) []string {
	if s.schema == nil {
		return nil
	}
	return UnknownFields(obj, s.schema)
}

// Table returns the NAME column, the additional printer columns (AGE by
// default) and their cells.
func (s *strategy) Table() ([]metav1.TableColumnDefinition, printers.RowFunc, bool) {
	return s.columns, s.row, true
}

func (s *strategy) row(obj runtime.Object, _ time.Time) ([]any, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return nil, fmt.Errorf("unexpected %T", obj)
	}
	cells := []any{u.GetName()}
	for i, jp := range s.cells {
		cells = append(cells, cell(jp, u.Object, s.columns[i+1].Type))
	}
	return cells, nil
}

func cell(jp *jsonpath.JSONPath, obj map[string]any, typ string) any {
	results, err := jp.FindResults(obj)
	if err != nil || len(results) == 0 || len(results[0]) == 0 {
		return nil
	}
	v := results[0][0].Interface()
	switch typ {
	case "integer", "number", "boolean":
		return v
	}
	if s, ok := v.(string); ok {
		if typ == "date" {
			return age(s)
		}
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// age shows a date column as kubectl shows ages ("5m"), as Kubernetes'
// table convertor does; a value that is no RFC 3339 time is shown as is.
func age(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return duration.HumanDuration(time.Since(t))
}

// ScalePaths returns the scale subresource's paths.
func (s *strategy) ScalePaths() (spec, status, selector string) {
	if s.scale == nil {
		return "", "", ""
	}
	sel := ""
	if s.scale.LabelSelectorPath != nil {
		sel = *s.scale.LabelSelectorPath
	}
	return s.scale.SpecReplicasPath, s.scale.StatusReplicasPath, sel
}

// codec stores custom objects as JSON: written with the storage
// version's apiVersion, read with the schema's defaults applied. The
// store relabels what it reads with the served version, which is the
// None conversion.
type codec struct {
	storageVersion string
	schema         *Schema
}

func (c codec) Encode(obj runtime.Object, w io.Writer) error {
	u := obj.(*unstructured.Unstructured)
	m := make(map[string]any, len(u.Object))
	for k, v := range u.Object {
		m[k] = v
	}
	m["apiVersion"] = c.storageVersion
	return json.NewEncoder(w).Encode(m)
}

func (c codec) Decode(data []byte, gvk *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	obj, actual, err := unstructured.UnstructuredJSONScheme.Decode(data, gvk, into)
	if err != nil {
		return nil, nil, err
	}
	if u, ok := obj.(*unstructured.Unstructured); ok && c.schema != nil {
		Default(u.Object, c.schema)
	}
	return obj, actual, nil
}

func (codec) Identifier() runtime.Identifier { return "crd-json" }
