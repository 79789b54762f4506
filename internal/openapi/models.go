package openapi

import (
	"maps"
	"reflect"
	"sort"
	"strings"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/skiff-sh/skiff/internal/openapi/generated"
	"github.com/skiff-sh/skiff/internal/registry"
	apiregv1 "github.com/skiff-sh/skiff/internal/registry/apiregistration/v1"
)

// Names of the meta.k8s.io models the paths refer to.
const (
	modelStatus          = "io.k8s.apimachinery.pkg.apis.meta.v1.Status"
	modelDeleteOptions   = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"
	modelWatchEvent      = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent"
	modelPatch           = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch"
	modelAPIResourceList = "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList"
)

// Extension names kube-apiserver uses.
const (
	extGVK    = "x-kubernetes-group-version-kind"
	extAction = "x-kubernetes-action"
)

// models holds every generated schema in the form one OpenAPI version
// wants, ready to be placed in a document; they are never modified after
// load, so documents may share them.
type models struct {
	schemas map[string]*spec.Schema
	deps    map[string][]string
}

// loadModels turns the generated definitions into schemas whose references
// start with refPrefix ("#/definitions/" or "#/components/schemas/").
// kindsOf lists, per model, the group-version-kinds it is served as; they
// become the x-kubernetes-group-version-kind extension.
func loadModels(refPrefix string, v3 bool, kindsOf map[string][]schema.GroupVersionKind) *models {
	ref := func(name string) spec.Ref {
		return spec.MustCreateRef(refPrefix + common.EscapeJsonPointer(name))
	}
	defs := generated.GetOpenAPIDefinitions(ref)
	maps.Copy(defs, apiregistrationDefinitions(ref))
	m := &models{schemas: make(map[string]*spec.Schema, len(defs)), deps: make(map[string][]string, len(defs))}
	for name, def := range defs {
		s := spec.Schema{
			VendorExtensible:   def.Schema.VendorExtensible,
			SchemaProps:        def.Schema.SchemaProps,
			SwaggerSchemaProps: def.Schema.SwaggerSchemaProps,
		}
		// Types such as IntOrString describe themselves differently in
		// Swagger 2.0, which has no oneOf; the 2.0 form rides along in an
		// extension.
		if v2, ok := s.Extensions[common.ExtensionV2Schema].(spec.Schema); ok && !v3 {
			s = v2
		}
		s.Extensions = copyExtensions(s.Extensions)
		delete(s.Extensions, common.ExtensionV2Schema)
		if gvks := kindsOf[name]; len(gvks) > 0 {
			s.Extensions[extGVK] = gvkList(gvks)
		}
		if len(s.Extensions) == 0 {
			s.Extensions = nil
		}
		if v3 {
			wrapRefs(&s)
		}
		m.schemas[name] = &s
		m.deps[name] = def.Dependencies
	}
	return m
}

func copyExtensions(e spec.Extensions) spec.Extensions {
	out := make(spec.Extensions, len(e)+1)
	for k, v := range e {
		out[k] = v
	}
	return out
}

func gvkList(gvks []schema.GroupVersionKind) []interface{} {
	gvks = append([]schema.GroupVersionKind(nil), gvks...)
	sort.Slice(gvks, func(i, j int) bool {
		a, b := gvks[i], gvks[j]
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return a.Kind < b.Kind
	})
	out := make([]interface{}, 0, len(gvks))
	for i, g := range gvks {
		if i > 0 && g == gvks[i-1] {
			continue
		}
		out = append(out, gvkObject(g))
	}
	return out
}

func gvkObject(g schema.GroupVersionKind) map[string]interface{} {
	return map[string]interface{}{"group": g.Group, "version": g.Version, "kind": g.Kind}
}

// closure returns roots and every model they refer to, sorted.
func (m *models) closure(roots []string) []string {
	seen := map[string]bool{}
	var visit func(string)
	visit = func(n string) {
		if seen[n] {
			return
		}
		if _, ok := m.schemas[n]; !ok {
			return
		}
		seen[n] = true
		for _, d := range m.deps[n] {
			visit(d)
		}
	}
	for _, r := range roots {
		visit(r)
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// wrapRefs rewrites, in place, every $ref that has sibling fields (a
// description, a default) into allOf:[{$ref}], as OpenAPI 3.0 ignores the
// siblings of a $ref and kube-apiserver publishes them this way.
func wrapRefs(s *spec.Schema) {
	if s == nil {
		return
	}
	if s.Ref.String() != "" && !reflect.DeepEqual(*s, spec.Schema{SchemaProps: spec.SchemaProps{Ref: s.Ref}}) {
		only := spec.Schema{SchemaProps: spec.SchemaProps{Ref: s.Ref}}
		s.Ref = spec.Ref{}
		s.AllOf = append([]spec.Schema{only}, s.AllOf...)
	}
	for k, p := range s.Properties {
		wrapRefs(&p)
		s.Properties[k] = p
	}
	for k, p := range s.PatternProperties {
		wrapRefs(&p)
		s.PatternProperties[k] = p
	}
	if s.Items != nil {
		wrapRefs(s.Items.Schema)
		for i := range s.Items.Schemas {
			wrapRefs(&s.Items.Schemas[i])
		}
	}
	if s.AdditionalProperties != nil {
		wrapRefs(s.AdditionalProperties.Schema)
	}
	if s.AdditionalItems != nil {
		wrapRefs(s.AdditionalItems.Schema)
	}
	for _, list := range [][]spec.Schema{s.AllOf, s.AnyOf, s.OneOf} {
		for i := range list {
			wrapRefs(&list[i])
		}
	}
	wrapRefs(s.Not)
}

// modelScheme knows the Go types of every served kind.
var modelScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(scheme.AddToScheme(s))
	utilruntime.Must(apiextensionsv1.AddToScheme(s))
	utilruntime.Must(apiregv1.AddToScheme(s))
	return s
}()

// modelName is the OpenAPI model name of a kind ("io.k8s.api.apps.v1.
// Deployment"): the name the type itself reports, else the name the
// Kubernetes convention gives it; custom kinds as customModelName.
// isCustomGroup reports whether a group is outside the built-in scheme:
// one of a CustomResourceDefinition.
func isCustomGroup(group string) bool {
	return group != "" && !modelScheme.IsGroupRegistered(group)
}

func modelName(gvk schema.GroupVersionKind) string {
	if obj, err := modelScheme.New(gvk); err == nil {
		if n, ok := obj.(interface{ OpenAPIModelName() string }); ok {
			return n.OpenAPIModelName()
		}
	}
	if isCustomGroup(gvk.Group) {
		return customModelName(gvk)
	}
	group := gvk.Group
	if group == "" {
		group = "core"
	}
	group, _, _ = strings.Cut(strings.TrimSuffix(group, ".k8s.io"), ".")
	return "io.k8s.api." + group + "." + gvk.Version + "." + gvk.Kind
}

// Schemas returns the OpenAPI v3 schema of every model keyed by its name
// ("io.k8s.api.apps.v1.Deployment"), the kinds the resources serve
// carrying x-kubernetes-group-version-kind: what managedfields'
// NewTypeConverter takes. Each call builds new schemas.
func Schemas(resources []registry.Resource) map[string]*spec.Schema {
	return loadModels(v3Ref, true, servedKinds(resources)).schemas
}

// builtinV3 is every generated model in v3 form without kinds, loaded
// once, for the field management of custom resources.
var builtinV3 = sync.OnceValue(func() *models { return loadModels(v3Ref, true, nil) })
