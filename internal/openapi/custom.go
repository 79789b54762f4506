package openapi

import (
	"encoding/json"
	"slices"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/skiff-sh/skiff/internal/registry"
)

// Custom is one served version of a custom resource and its structural
// schema (nil when the definition has none).
type Custom struct {
	Resource registry.Resource
	Schema   *apiextensionsv1.JSONSchemaProps
}

const (
	modelObjectMeta = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
	modelListMeta   = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"
)

// Descriptions kube-apiserver gives the fields every custom kind has.
const (
	descAPIVersion = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources"
	descKind       = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
	descMetadata   = "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
	descListMeta   = "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
)

// customModelName names the model of a kind outside the built-in scheme
// as Kubernetes names custom kinds: the group reversed, then version and
// kind ("com.example.v1.Widget").
func customModelName(gvk schema.GroupVersionKind) string {
	parts := strings.Split(gvk.Group, ".")
	slices.Reverse(parts)
	return strings.Join(parts, ".") + "." + gvk.Version + "." + gvk.Kind
}

// addCustom adds the kind and list models of c to m, in the form m's
// OpenAPI version wants (refPrefix and v3 as for loadModels).
func (m *models) addCustom(c Custom, refPrefix string, v3 bool) {
	gvk := c.Resource.GVK()
	kind, list := modelName(gvk), modelName(gvk.GroupVersion().WithKind(c.Resource.Kind+"List"))
	ref := func(model, desc string) spec.Schema {
		s := spec.Schema{SchemaProps: spec.SchemaProps{Ref: refTo(refPrefix, model), Description: desc}}
		if !v3 {
			// Swagger 2.0 ignores the siblings of a $ref anyway.
			s.Description = ""
		}
		return s
	}
	obj := toSpec(c.Schema, v3)
	obj.Type = spec.StringOrArray{"object"}
	if obj.Properties == nil {
		obj.Properties = map[string]spec.Schema{}
	}
	obj.Properties["apiVersion"] = *spec.StringProperty().WithDescription(descAPIVersion)
	obj.Properties["kind"] = *spec.StringProperty().WithDescription(descKind)
	obj.Properties["metadata"] = ref(modelObjectMeta, descMetadata)
	obj.AddExtension(extGVK, []any{gvkObject(gvk)})

	l := &spec.Schema{SchemaProps: spec.SchemaProps{
		Description: "List of " + strings.ToLower(c.Resource.Resource) + ". More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md",
		Type:        spec.StringOrArray{"object"},
		Required:    []string{"items"},
		Properties: map[string]spec.Schema{
			"apiVersion": *spec.StringProperty().WithDescription(descAPIVersion),
			"kind":       *spec.StringProperty().WithDescription(descKind),
			"metadata":   ref(modelListMeta, descListMeta),
			"items":      *spec.ArrayProperty(&spec.Schema{SchemaProps: spec.SchemaProps{Ref: refTo(refPrefix, kind)}}),
		},
	}}
	l.AddExtension(extGVK, []any{gvkObject(gvk.GroupVersion().WithKind(c.Resource.Kind + "List"))})
	if v3 {
		wrapRefs(obj)
		wrapRefs(l)
	}
	m.schemas[kind], m.deps[kind] = obj, []string{modelObjectMeta}
	m.schemas[list], m.deps[list] = l, []string{kind, modelListMeta}
}

// toSpec converts a structural schema into a kube-openapi schema; the
// JSON forms are the same. Swagger 2.0 has no nullable, oneOf, anyOf or
// not, so they are dropped from its form, as Kubernetes does.
func toSpec(s *apiextensionsv1.JSONSchemaProps, v3 bool) *spec.Schema {
	out := &spec.Schema{}
	if s == nil {
		return out
	}
	data, err := json.Marshal(s)
	if err == nil {
		err = json.Unmarshal(data, out)
	}
	if err != nil {
		return &spec.Schema{}
	}
	if !v3 {
		walk(out, func(s *spec.Schema) {
			s.Nullable, s.OneOf, s.AnyOf, s.Not = false, nil, nil, nil
		})
	}
	return out
}

// walk calls f on s and every schema below it.
func walk(s *spec.Schema, f func(*spec.Schema)) {
	if s == nil {
		return
	}
	f(s)
	for k, p := range s.Properties {
		walk(&p, f)
		s.Properties[k] = p
	}
	if s.Items != nil {
		walk(s.Items.Schema, f)
	}
	if s.AdditionalProperties != nil {
		walk(s.AdditionalProperties.Schema, f)
	}
	for i := range s.AllOf {
		walk(&s.AllOf[i], f)
	}
}

// withCustom returns base with the models of cs added; base is shared,
// not changed.
func (m *models) withCustom(cs []Custom, refPrefix string, v3 bool) *models {
	out := &models{schemas: make(map[string]*spec.Schema, len(m.schemas)+2*len(cs)), deps: make(map[string][]string, len(m.deps)+2*len(cs))}
	for k, v := range m.schemas {
		out.schemas[k] = v
	}
	for k, v := range m.deps {
		out.deps[k] = v
	}
	for _, c := range cs {
		out.addCustom(c, refPrefix, v3)
	}
	return out
}

// CustomSchemas returns the OpenAPI v3 models a custom resource's field
// management needs: its kind, its list and the built-in models they use,
// keyed by name as Schemas is.
func CustomSchemas(c Custom) map[string]*spec.Schema {
	m := builtinV3()
	all := m.withCustom([]Custom{c}, v3Ref, true)
	out := map[string]*spec.Schema{}
	for _, name := range all.closure([]string{modelName(c.Resource.GVK())}) {
		out[name] = all.schemas[name]
	}
	return out
}
