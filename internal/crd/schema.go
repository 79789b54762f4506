// Package crd serves custom resources: the schema rules of structural
// OpenAPI v3 schemas (validation, pruning, defaulting), the strategy and
// storage codec of custom objects, and the controller that turns each
// CustomResourceDefinition into served resources.
package crd

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Schema is a structural schema: a CRD version's openAPIV3Schema.
type Schema = apiextensionsv1.JSONSchemaProps

// Validate checks value against s as Kubernetes' schema validation does,
// reporting each violation at its field path.
func Validate(value any, s *Schema, path *field.Path) field.ErrorList {
	return validate(value, nil, s, path)
}

// ValidateUpdate is Validate for a value replacing old: CEL transition
// rules (those using oldSelf) run where the old value has a counterpart.
func ValidateUpdate(value, old any, s *Schema, path *field.Path) field.ErrorList {
	return validate(value, &old, s, path)
}

// validate checks value; old points at the value it replaces, nil when
// there is none (a create, or a new field or list item).
func validate(value any, old *any, s *Schema, path *field.Path) field.ErrorList {
	if s == nil {
		return nil
	}
	if value == nil {
		if s.Nullable || isUntyped(s) {
			return nil
		}
		return field.ErrorList{field.TypeInvalid(path, "null", fmt.Sprintf("%s in body must be of type %s: \"null\"", path, typeOf(s)))}
	}
	if s.XIntOrString {
		switch value.(type) {
		case int64, string:
		default:
			return field.ErrorList{field.TypeInvalid(path, value, fmt.Sprintf("%s in body must be of type integer,string: %q", path, jsonType(value)))}
		}
	} else if s.Type != "" && !hasType(value, s.Type) {
		return field.ErrorList{field.TypeInvalid(path, value, fmt.Sprintf("%s in body must be of type %s: %q", path, s.Type, jsonType(value)))}
	}
	errs := validateValue(value, s, path)
	errs = append(errs, validateComposite(value, s, path)...)
	errs = append(errs, validateRules(value, old, s, path)...)
	switch v := value.(type) {
	case map[string]any:
		errs = append(errs, validateObject(v, old, s, path)...)
	case []any:
		errs = append(errs, validateArray(v, old, s, path)...)
	}
	return errs
}

func isUntyped(s *Schema) bool {
	return s.Type == "" && !s.XIntOrString && s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields
}

func typeOf(s *Schema) string {
	if s.XIntOrString {
		return "integer,string"
	}
	return s.Type
}

func hasType(v any, t string) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "integer":
		switch n := v.(type) {
		case int64:
			return true
		case float64:
			return n == float64(int64(n))
		}
		return false
	case "number":
		switch v.(type) {
		case int64, float64:
			return true
		}
		return false
	}
	return true
}

func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case int64:
		return "integer"
	case float64:
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// validateValue checks enum, bounds, lengths and pattern.
func validateValue(value any, s *Schema, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(s.Enum) > 0 && !inEnum(value, s.Enum) {
		allowed := make([]string, len(s.Enum))
		for i, e := range s.Enum {
			allowed[i] = string(e.Raw)
			var str string
			if utiljson.Unmarshal(e.Raw, &str) == nil {
				allowed[i] = str
			}
		}
		errs = append(errs, field.NotSupported(path, value, allowed))
	}
	if n, ok := number(value); ok {
		if s.Minimum != nil && (n < *s.Minimum || s.ExclusiveMinimum && n == *s.Minimum) {
			rel := "greater than or equal to"
			if s.ExclusiveMinimum {
				rel = "greater than"
			}
			errs = append(errs, field.Invalid(path, value, fmt.Sprintf("%s in body should be %s %s", path, rel, formatNumber(*s.Minimum))))
		}
		if s.Maximum != nil && (n > *s.Maximum || s.ExclusiveMaximum && n == *s.Maximum) {
			rel := "less than or equal to"
			if s.ExclusiveMaximum {
				rel = "less than"
			}
			errs = append(errs, field.Invalid(path, value, fmt.Sprintf("%s in body should be %s %s", path, rel, formatNumber(*s.Maximum))))
		}
		if s.MultipleOf != nil && *s.MultipleOf != 0 {
			if q := n / *s.MultipleOf; q != float64(int64(q)) {
				errs = append(errs, field.Invalid(path, value, fmt.Sprintf("%s in body should be a multiple of %s", path, formatNumber(*s.MultipleOf))))
			}
		}
	}
	if str, ok := value.(string); ok {
		n := int64(len([]rune(str)))
		if s.MaxLength != nil && n > *s.MaxLength {
			errs = append(errs, field.TooLong(path, value, int(*s.MaxLength)))
		}
		if s.MinLength != nil && n < *s.MinLength {
			errs = append(errs, field.Invalid(path, value, fmt.Sprintf("%s in body should be at least %d chars long", path, *s.MinLength)))
		}
		if s.Pattern != "" {
			if re, err := regexp.Compile(s.Pattern); err == nil && !re.MatchString(str) {
				errs = append(errs, field.Invalid(path, value, fmt.Sprintf("%s in body should match '%s'", path, s.Pattern)))
			}
		}
		errs = append(errs, validateFormat(str, s, path)...)
	}
	return errs
}

func formatNumber(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func inEnum(v any, enum []apiextensionsv1.JSON) bool {
	for _, e := range enum {
		var want any
		if utiljson.Unmarshal(e.Raw, &want) == nil && equalJSON(v, want) {
			return true
		}
	}
	return false
}

func equalJSON(a, b any) bool {
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && x == y
	}
	return fmt.Sprint(a) == fmt.Sprint(b) && jsonType(a) == jsonType(b)
}

func validateObject(obj map[string]any, old *any, s *Schema, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, name := range s.Required {
		if _, ok := obj[name]; !ok {
			errs = append(errs, field.Required(path.Child(name), ""))
		}
	}
	if s.XEmbeddedResource {
		for _, name := range []string{"apiVersion", "kind"} {
			if v, _ := obj[name].(string); v == "" {
				errs = append(errs, field.Required(path.Child(name), "must not be empty"))
			}
		}
		if meta, ok := obj["metadata"]; ok {
			errs = append(errs, validateEmbeddedMetadata(meta, path.Child("metadata"))...)
		}
	}
	if s.MaxProperties != nil && int64(len(obj)) > *s.MaxProperties {
		errs = append(errs, field.TooMany(path, len(obj), int(*s.MaxProperties)))
	}
	if s.MinProperties != nil && int64(len(obj)) < *s.MinProperties {
		errs = append(errs, field.Invalid(path, len(obj), fmt.Sprintf("%s in body should have at least %d properties", path, *s.MinProperties)))
	}
	for _, name := range sortedKeys(obj) {
		oldChild := fieldOf(old, name)
		if ps, ok := s.Properties[name]; ok {
			errs = append(errs, validate(obj[name], oldChild, &ps, path.Child(name))...)
		} else if ap := s.AdditionalProperties; ap != nil && ap.Schema != nil {
			errs = append(errs, validate(obj[name], oldChild, ap.Schema, path.Key(name))...)
		}
	}
	return errs
}

func validateArray(arr []any, old *any, s *Schema, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.MaxItems != nil && int64(len(arr)) > *s.MaxItems {
		errs = append(errs, field.TooMany(path, len(arr), int(*s.MaxItems)))
	}
	if s.MinItems != nil && int64(len(arr)) < *s.MinItems {
		errs = append(errs, field.Invalid(path, len(arr), fmt.Sprintf("%s in body should have at least %d items", path, *s.MinItems)))
	}
	errs = append(errs, validateListType(arr, s, path)...)
	if s.Items != nil && s.Items.Schema != nil {
		olds := oldItems(arr, old, s)
		for i, item := range arr {
			errs = append(errs, validate(item, olds[i], s.Items.Schema, path.Index(i))...)
		}
	}
	return errs
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Prune drops from obj, a whole custom object, the fields s does not
// specify and returns their paths ("spec.foo"). apiVersion, kind and
// metadata of the object (and of embedded resources) are kept; embedded
// metadata loses the fields ObjectMeta does not have.
func Prune(obj map[string]any, s *Schema) []string {
	var pruned []string
	pruneObject(obj, s, nil, true, &pruned)
	sort.Strings(pruned)
	return pruned
}

// UnknownFields returns the paths Prune would drop, leaving obj alone.
func UnknownFields(obj map[string]any, s *Schema) []string {
	return Prune(runtime.DeepCopyJSON(obj), s)
}

func pruneValue(v any, s *Schema, path *field.Path, pruned *[]string) {
	if s == nil {
		return
	}
	switch v := v.(type) {
	case map[string]any:
		pruneObject(v, s, path, s.XEmbeddedResource, pruned)
	case []any:
		if s.Items != nil && s.Items.Schema != nil {
			for i, item := range v {
				pruneValue(item, s.Items.Schema, path.Index(i), pruned)
			}
		}
	}
}

func pruneObject(obj map[string]any, s *Schema, path *field.Path, resource bool, pruned *[]string) {
	preserve := s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields
	child := func(name string) *field.Path {
		if path == nil {
			return field.NewPath(name)
		}
		return path.Child(name)
	}
	for name, v := range obj {
		if resource && (name == "apiVersion" || name == "kind" || name == "metadata") {
			if ps, ok := s.Properties[name]; ok && name != "metadata" {
				pruneValue(v, &ps, child(name), pruned)
			}
			if name == "metadata" && path != nil { // the root's metadata is decoded as ObjectMeta elsewhere
				pruneEmbeddedMetadata(v, child(name), pruned)
			}
			continue
		}
		if ps, ok := s.Properties[name]; ok {
			pruneValue(v, &ps, child(name), pruned)
			continue
		}
		if ap := s.AdditionalProperties; ap != nil && (ap.Allows || ap.Schema != nil) {
			pruneValue(v, ap.Schema, child(name), pruned)
			continue
		}
		if !preserve {
			delete(obj, name)
			*pruned = append(*pruned, child(name).String())
		}
	}
}

// Default sets the schema's defaults for the fields missing in value,
// from the root down, as Kubernetes' structural defaulting does.
func Default(value any, s *Schema) {
	if s == nil {
		return
	}
	switch v := value.(type) {
	case map[string]any:
		for name, ps := range s.Properties {
			if _, ok := v[name]; !ok && ps.Default != nil {
				var d any
				if utiljson.Unmarshal(ps.Default.Raw, &d) == nil {
					v[name] = d
				}
			}
			if cur, ok := v[name]; ok {
				Default(cur, &ps)
			}
		}
		if ap := s.AdditionalProperties; ap != nil && ap.Schema != nil {
			for name, cur := range v {
				if _, known := s.Properties[name]; !known {
					Default(cur, ap.Schema)
				}
			}
		}
	case []any:
		if s.Items != nil && s.Items.Schema != nil {
			for _, item := range v {
				Default(item, s.Items.Schema)
			}
		}
	}
}

// ValidateStructural checks that s is a structural schema: every field
// has a type (unless x-kubernetes-int-or-string or
// x-kubernetes-preserve-unknown-fields says otherwise), properties and
// additionalProperties are not mixed, and the root is an object whose
// metadata restricts at most name and generateName.
func ValidateStructural(s *Schema, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.Type != "object" {
		errs = append(errs, field.Invalid(path.Child("type"), s.Type, "must be object at the root"))
	}
	if m, ok := s.Properties["metadata"]; ok {
		for name := range m.Properties {
			if name != "name" && name != "generateName" {
				errs = append(errs, field.Forbidden(path.Child("properties").Key("metadata").Child("properties").Key(name), "must not be specified"))
			}
		}
	}
	return append(errs, validateStructuralNode(s, path)...)
}

func validateStructuralNode(s *Schema, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	preserve := s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields
	if s.Type == "" && !s.XIntOrString && !preserve {
		errs = append(errs, field.Required(path.Child("type"), "must not be empty for specified object fields"))
	}
	if s.XIntOrString && s.Type != "" {
		errs = append(errs, field.Invalid(path.Child("type"), s.Type, "must be empty if x-kubernetes-int-or-string is true"))
	}
	if s.XEmbeddedResource && s.Type != "object" {
		errs = append(errs, field.Invalid(path.Child("type"), s.Type, "must be object if x-kubernetes-embedded-resource is true"))
	}
	if len(s.Properties) > 0 && s.AdditionalProperties != nil {
		errs = append(errs, field.Forbidden(path.Child("additionalProperties"), "additionalProperties and properties are mutual exclusive"))
	}
	if s.Type == "array" && (s.Items == nil || s.Items.Schema == nil) {
		errs = append(errs, field.Required(path.Child("items"), "must be specified"))
	}
	if s.Pattern != "" {
		if _, err := regexp.Compile(s.Pattern); err != nil {
			errs = append(errs, field.Invalid(path.Child("pattern"), s.Pattern, err.Error()))
		}
	}
	if s.Default != nil {
		var d any
		if err := utiljson.Unmarshal(s.Default.Raw, &d); err != nil {
			errs = append(errs, field.Invalid(path.Child("default"), string(s.Default.Raw), err.Error()))
		} else {
			errs = append(errs, Validate(d, s, path.Child("default"))...)
		}
	}
	errs = append(errs, validateRuleSources(s, path)...)
	for _, name := range sortedSchemaKeys(s.Properties) {
		ps := s.Properties[name]
		errs = append(errs, validateStructuralNode(&ps, path.Child("properties").Key(name))...)
	}
	if s.Items != nil && s.Items.Schema != nil {
		errs = append(errs, validateStructuralNode(s.Items.Schema, path.Child("items"))...)
	}
	if ap := s.AdditionalProperties; ap != nil && ap.Schema != nil {
		errs = append(errs, validateStructuralNode(ap.Schema, path.Child("additionalProperties"))...)
	}
	return errs
}

func sortedSchemaKeys(m map[string]Schema) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
