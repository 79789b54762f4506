// Package apiextensions holds the strategy of apiextensions.k8s.io:
// CustomResourceDefinitions.
package apiextensions

import (
	"fmt"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/util/jsonpath"

	"github.com/skiff-sh/skiff/internal/crd"
	"github.com/skiff-sh/skiff/internal/registry/rest"
)

// Strategies returns the strategies of apiextensions.k8s.io.
func Strategies() rest.Strategies {
	return rest.Strategies{"customresourcedefinitions": Strategy{}}
}

// Strategy is the CustomResourceDefinition strategy.
type Strategy struct{}

func crdOf(obj runtime.Object) *apiextensionsv1.CustomResourceDefinition {
	return obj.(*apiextensionsv1.CustomResourceDefinition)
}

// Default applies Kubernetes' defaults (singular, listKind, conversion).
func (Strategy) Default(obj runtime.Object) {
	apiextensionsv1.SetObjectDefaults_CustomResourceDefinition(crdOf(obj))
}

// PrepareForCreate resets the status; storedVersions starts with the
// storage version.
func (Strategy) PrepareForCreate(obj runtime.Object) {
	c := crdOf(obj)
	c.Status = apiextensionsv1.CustomResourceDefinitionStatus{}
	if v := storageVersion(c); v != "" {
		c.Status.StoredVersions = []string{v}
	}
}

// PrepareForUpdate keeps the status, adds a new storage version to
// storedVersions and bumps the generation on spec changes.
func (Strategy) PrepareForUpdate(obj, old runtime.Object) {
	c, o := crdOf(obj), crdOf(old)
	c.Status = *o.Status.DeepCopy()
	if v := storageVersion(c); v != "" && !sets.New(c.Status.StoredVersions...).Has(v) {
		c.Status.StoredVersions = append(c.Status.StoredVersions, v)
	}
	rest.BumpGeneration(obj, old, func(o runtime.Object) any { return crdOf(o).Spec })
}

func storageVersion(c *apiextensionsv1.CustomResourceDefinition) string {
	for _, v := range c.Spec.Versions {
		if v.Storage {
			return v.Name
		}
	}
	return ""
}

// Validate checks a new definition.
func (Strategy) Validate(obj runtime.Object) field.ErrorList {
	c := crdOf(obj)
	errs := rest.ValidateMeta(obj, false, nil)
	if want := c.Spec.Names.Plural + "." + c.Spec.Group; c.Name != want {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), c.Name, `must be spec.names.plural+"."+spec.group`))
	}
	return append(errs, validateSpec(&c.Spec, field.NewPath("spec"))...)
}

// ValidateUpdate checks an update; group, scope and names stay.
func (Strategy) ValidateUpdate(obj, old runtime.Object) field.ErrorList {
	c, o := crdOf(obj), crdOf(old)
	errs := rest.ValidateMetaUpdate(obj, old)
	errs = append(errs, validateSpec(&c.Spec, field.NewPath("spec"))...)
	if c.Spec.Group != o.Spec.Group {
		errs = append(errs, field.Invalid(field.NewPath("spec", "group"), c.Spec.Group, apivalidation.FieldImmutableErrorMsg))
	}
	if c.Spec.Scope != o.Spec.Scope {
		errs = append(errs, field.Invalid(field.NewPath("spec", "scope"), c.Spec.Scope, apivalidation.FieldImmutableErrorMsg))
	}
	if c.Spec.Names.Plural != o.Spec.Names.Plural {
		errs = append(errs, field.Invalid(field.NewPath("spec", "names", "plural"), c.Spec.Names.Plural, apivalidation.FieldImmutableErrorMsg))
	}
	return errs
}

// PrepareForStatusUpdate keeps everything of old but the status.
func (Strategy) PrepareForStatusUpdate(obj, old runtime.Object) {
	c, o := crdOf(obj), crdOf(old)
	c.Spec = *o.Spec.DeepCopy()
	c.Labels, c.Annotations, c.Finalizers, c.OwnerReferences = o.Labels, o.Annotations, o.Finalizers, o.OwnerReferences
}

// ValidateStatusUpdate checks the metadata of a status update.
func (Strategy) ValidateStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return rest.ValidateMetaUpdate(obj, old)
}

func validateSpec(s *apiextensionsv1.CustomResourceDefinitionSpec, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.Group == "" {
		errs = append(errs, field.Required(path.Child("group"), ""))
	} else {
		for _, msg := range validation.IsDNS1123Subdomain(s.Group) {
			errs = append(errs, field.Invalid(path.Child("group"), s.Group, msg))
		}
		if len(strings.Split(s.Group, ".")) < 2 {
			errs = append(errs, field.Invalid(path.Child("group"), s.Group, "should be a domain with at least one dot"))
		}
	}
	switch s.Scope {
	case apiextensionsv1.ClusterScoped, apiextensionsv1.NamespaceScoped:
	case "":
		errs = append(errs, field.Required(path.Child("scope"), ""))
	default:
		errs = append(errs, field.NotSupported(path.Child("scope"), s.Scope, []string{string(apiextensionsv1.ClusterScoped), string(apiextensionsv1.NamespaceScoped)}))
	}
	errs = append(errs, validateNames(&s.Names, path.Child("names"))...)
	if s.Conversion != nil && s.Conversion.Strategy != apiextensionsv1.NoneConverter {
		errs = append(errs, field.NotSupported(path.Child("conversion", "strategy"), s.Conversion.Strategy, []string{string(apiextensionsv1.NoneConverter)}))
	}
	return append(errs, validateVersions(s.Versions, path.Child("versions"))...)
}

func validateNames(n *apiextensionsv1.CustomResourceDefinitionNames, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	label := func(p *field.Path, v string, required bool) {
		if v == "" {
			if required {
				errs = append(errs, field.Required(p, ""))
			}
			return
		}
		for _, msg := range validation.IsDNS1035Label(v) {
			errs = append(errs, field.Invalid(p, v, msg))
		}
	}
	label(path.Child("plural"), n.Plural, true)
	label(path.Child("singular"), n.Singular, false)
	for i, sn := range n.ShortNames {
		label(path.Child("shortNames").Index(i), sn, true)
	}
	for _, k := range []struct {
		name, v string
	}{{"kind", n.Kind}, {"listKind", n.ListKind}} {
		switch {
		case k.v == "":
			errs = append(errs, field.Required(path.Child(k.name), ""))
		case len(validation.IsDNS1035Label(strings.ToLower(k.v))) > 0:
			errs = append(errs, field.Invalid(path.Child(k.name), k.v, "may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?"))
		}
	}
	if n.Kind != "" && n.Kind == n.ListKind {
		errs = append(errs, field.Invalid(path.Child("listKind"), n.ListKind, "kind and listKind may not be the same"))
	}
	return errs
}

func validateVersions(versions []apiextensionsv1.CustomResourceDefinitionVersion, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(versions) == 0 {
		return field.ErrorList{field.Invalid(path, versions, "must have exactly one version marked as storage version")}
	}
	seen := sets.New[string]()
	storage, served := 0, 0
	for i, v := range versions {
		p := path.Index(i)
		for _, msg := range validation.IsDNS1035Label(v.Name) {
			errs = append(errs, field.Invalid(p.Child("name"), v.Name, msg))
		}
		if seen.Has(v.Name) {
			errs = append(errs, field.Invalid(path, versions, "must contain unique version names"))
		}
		seen.Insert(v.Name)
		if v.Storage {
			storage++
		}
		if v.Served {
			served++
		}
		errs = append(errs, validateVersion(&v, p)...)
	}
	if storage != 1 {
		errs = append(errs, field.Invalid(path, versions, "must have exactly one version marked as storage version"))
	}
	if served == 0 {
		errs = append(errs, field.Invalid(path, versions, "must have at least one served version"))
	}
	return errs
}

func validateVersion(v *apiextensionsv1.CustomResourceDefinitionVersion, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	sp := p.Child("schema", "openAPIV3Schema")
	if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
		errs = append(errs, field.Required(sp, "schemas are required"))
	} else {
		errs = append(errs, crd.ValidateStructural(v.Schema.OpenAPIV3Schema, sp)...)
	}
	if v.Subresources != nil && v.Subresources.Scale != nil {
		sc, scp := v.Subresources.Scale, p.Child("subresources", "scale")
		check := func(name, path, prefix string, required bool) {
			if path == "" && !required {
				return
			}
			if !strings.HasPrefix(path, prefix) || strings.ContainsAny(path, "[]*") {
				errs = append(errs, field.Invalid(scp.Child(name), path, fmt.Sprintf("should be a json path under %s", prefix)))
			}
		}
		check("specReplicasPath", sc.SpecReplicasPath, ".spec.", true)
		check("statusReplicasPath", sc.StatusReplicasPath, ".status.", true)
		if sc.LabelSelectorPath != nil {
			check("labelSelectorPath", *sc.LabelSelectorPath, ".status.", false)
		}
	}
	for i, c := range v.AdditionalPrinterColumns {
		cp := p.Child("additionalPrinterColumns").Index(i)
		if c.Name == "" {
			errs = append(errs, field.Required(cp.Child("name"), ""))
		}
		switch c.Type {
		case "integer", "number", "string", "boolean", "date":
		default:
			errs = append(errs, field.NotSupported(cp.Child("type"), c.Type, []string{"integer", "number", "string", "boolean", "date"}))
		}
		if err := jsonpath.New(c.Name).Parse(fmt.Sprintf("{%s}", c.JSONPath)); err != nil || c.JSONPath == "" {
			errs = append(errs, field.Invalid(cp.Child("jsonPath"), c.JSONPath, "must be a simple json path"))
		}
	}
	return errs
}
