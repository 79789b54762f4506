package crd

import (
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func listType(t string, keys ...string) *Schema {
	return &Schema{Type: "array", XListType: &t, XListMapKeys: keys}
}

func TestValidateFormats(t *testing.T) {
	for _, tc := range []struct {
		format, value string
		ok            bool
	}{
		{"email", "a@b.example", true}, {"email", "not-an-email", false},
		{"ipv4", "10.0.0.1", true}, {"ipv4", "10.0.0.300", false},
		{"cidr", "10.0.0.0/8", true}, {"cidr", "10.0.0.0", false},
		{"date-time", "2026-11-24T10:00:00Z", true}, {"date-time", "yesterday", false},
		{"uuid", "0f8fad5b-d9cb-469f-a165-70867728950e", true}, {"uuid", "xyz", false},
		{"k8s-short-name", "web-1", true}, {"k8s-short-name", "Web_1", false},
		{"no-such-format", "anything", true}, // unknown formats are ignored, as Kubernetes strips them
	} {
		errs := Validate(tc.value, &Schema{Type: "string", Format: tc.format}, field.NewPath("spec", "v"))
		if (len(errs) == 0) != tc.ok {
			t.Errorf("%s %q: errors %v, want ok=%v", tc.format, tc.value, errs, tc.ok)
		}
		if len(errs) == 1 {
			want := `spec.v in body must be of type ` + tc.format + `: "` + tc.value + `"`
			if errs[0].Type != field.ErrorTypeTypeInvalid || errs[0].Detail != want {
				t.Errorf("%s: got %s %q, want TypeInvalid %q", tc.format, errs[0].Type, errs[0].Detail, want)
			}
		}
	}
}

func TestValidateListTypes(t *testing.T) {
	path := field.NewPath("spec", "l")
	errs := Validate([]any{"a", "b", "a", "a", "b"}, listType("set"), path)
	if len(errs) != 2 || errs[0].Field != "spec.l[2]" || errs[1].Field != "spec.l[4]" || errs[0].Type != field.ErrorTypeDuplicate {
		t.Errorf("set: %v", errs)
	}
	items := []any{
		map[string]any{"name": "a", "port": int64(80)},
		map[string]any{"name": "a", "port": int64(81)},
		map[string]any{"name": "a", "port": int64(80), "x": "y"},
	}
	errs = Validate(items, listType("map", "name", "port"), path)
	if len(errs) != 1 || errs[0].Field != "spec.l[2]" || errs[0].Type != field.ErrorTypeDuplicate {
		t.Errorf("map: %v", errs)
	}
	if errs := Validate([]any{"x"}, listType("map", "name"), path); len(errs) != 0 {
		t.Errorf("one item is never a duplicate: %v", errs)
	}
	if errs := Validate([]any{"x", "y"}, listType("map", "name"), path); len(errs) != 1 || !strings.Contains(errs[0].Detail, "list-type map") {
		t.Errorf("scalar in a list-type map: %v", errs)
	}
	if errs := Validate([]any{"a", "a"}, listType("atomic"), path); len(errs) != 0 {
		t.Errorf("atomic allows repeats: %v", errs)
	}
}

func TestValidateComposites(t *testing.T) {
	min5, max2 := 5.0, 2.0
	small, big := Schema{Maximum: &max2}, Schema{Minimum: &min5}
	path := field.NewPath("spec", "n")
	detail := func(errs field.ErrorList) string {
		var b strings.Builder
		for _, e := range errs {
			b.WriteString(e.Detail + "\n")
		}
		return b.String()
	}
	s := &Schema{Type: "integer", AnyOf: []Schema{small, big}}
	if errs := Validate(int64(1), s, path); len(errs) != 0 {
		t.Errorf("anyOf pass: %v", errs)
	}
	if errs := Validate(int64(3), s, path); !strings.Contains(detail(errs), `"spec.n" must validate at least one schema (anyOf)`) {
		t.Errorf("anyOf fail: %v", errs)
	}
	s = &Schema{Type: "integer", OneOf: []Schema{small, {Maximum: &min5}}}
	if errs := Validate(int64(1), s, path); !strings.Contains(detail(errs), "Found 2 valid alternatives") {
		t.Errorf("oneOf with two: %v", errs)
	}
	if errs := Validate(int64(4), s, path); len(errs) != 0 {
		t.Errorf("oneOf with one: %v", errs)
	}
	s = &Schema{Type: "integer", AllOf: []Schema{small, big}}
	if errs := Validate(int64(1), s, path); !strings.Contains(detail(errs), "must validate all the schemas (allOf)") {
		t.Errorf("allOf: %v", errs)
	}
	s = &Schema{Type: "integer", Not: &small}
	if errs := Validate(int64(1), s, path); !strings.Contains(detail(errs), "must not validate the schema (not)") {
		t.Errorf("not: %v", errs)
	}
	if errs := Validate(int64(3), s, path); len(errs) != 0 {
		t.Errorf("not pass: %v", errs)
	}
}

func TestValidateCELRules(t *testing.T) {
	forbidden := apiextensionsv1.FieldValueForbidden
	s := &Schema{Type: "object", Properties: map[string]Schema{
		"min": {Type: "integer"}, "max": {Type: "integer"}, "name": {Type: "string"},
	}, XValidations: apiextensionsv1.ValidationRules{
		{Rule: "self.min <= self.max", Message: "min must not exceed max"},
		{Rule: "self.name.startsWith('web-')", FieldPath: ".name"},
		{Rule: "!has(self.debug)", Reason: &forbidden, MessageExpression: "'debug is set to ' + string(self.debug)"},
		{Rule: "self.name == oldSelf.name"}, // a transition rule: not evaluated without the old object
	}}
	path := field.NewPath("spec")
	ok := map[string]any{"min": int64(1), "max": int64(2), "name": "web-a"}
	if errs := Validate(ok, s, path); len(errs) != 0 {
		t.Fatalf("valid object: %v", errs)
	}
	bad := map[string]any{"min": int64(3), "max": int64(2), "name": "db", "debug": true}
	errs := Validate(bad, s, path)
	got := map[string]string{}
	for _, e := range errs {
		got[e.Field+" "+string(e.Type)] = e.Detail
	}
	want := map[string]string{
		"spec " + string(field.ErrorTypeInvalid):      "min must not exceed max",
		"spec.name " + string(field.ErrorTypeInvalid): "failed rule: self.name.startsWith('web-')",
		"spec " + string(field.ErrorTypeForbidden):    "debug is set to true",
	}
	if len(got) != len(want) {
		t.Fatalf("errors %v, want %v", errs, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: detail %q, want %q", k, got[k], v)
		}
	}
	// Objects' values are left out of the message, as Kubernetes does.
	if errs[0].Error() != "spec: Invalid value: min must not exceed max" {
		t.Errorf("message %q", errs[0].Error())
	}
}

func TestValidateStructuralRejectsBadRules(t *testing.T) {
	s := &Schema{Type: "object", Properties: map[string]Schema{
		"spec": {Type: "object", XValidations: apiextensionsv1.ValidationRules{{Rule: "self.x >"}, {Rule: "1 + 1"}, {Rule: "true"}}},
	}}
	errs := ValidateStructural(s, field.NewPath("openAPIV3Schema"))
	if len(errs) != 2 {
		t.Fatalf("errors %v, want two bad rules", errs)
	}
	for i, e := range errs {
		if !strings.HasPrefix(e.Field, "openAPIV3Schema.properties[spec].x-kubernetes-validations[") || !strings.Contains(e.Detail, "compilation failed") {
			t.Errorf("error %d: %v", i, e)
		}
	}
}

func TestValidateTransitionRules(t *testing.T) {
	mapList := "map"
	s := &Schema{Type: "object", Properties: map[string]Schema{
		"owner": {Type: "string", XValidations: apiextensionsv1.ValidationRules{{Rule: "self == oldSelf", Message: "owner is immutable"}}},
		"ports": {Type: "array", XListType: &mapList, XListMapKeys: []string{"name"}, Items: &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &Schema{
			Type: "object", Properties: map[string]Schema{"name": {Type: "string"}, "port": {Type: "integer"}},
			XValidations: apiextensionsv1.ValidationRules{{Rule: "self.port >= oldSelf.port", Message: "ports only grow"}},
		}}},
	}}
	path := field.NewPath("spec")
	old := map[string]any{"owner": "a", "ports": []any{map[string]any{"name": "http", "port": int64(80)}}}
	same := map[string]any{"owner": "a", "ports": []any{map[string]any{"name": "web", "port": int64(1)}, map[string]any{"name": "http", "port": int64(81)}}}
	if errs := ValidateUpdate(same, old, s, path); len(errs) != 0 {
		t.Errorf("allowed update (a new item has no old counterpart): %v", errs)
	}
	changed := map[string]any{"owner": "b", "ports": []any{map[string]any{"name": "http", "port": int64(79)}}}
	errs := ValidateUpdate(changed, old, s, path)
	if len(errs) != 2 || errs[0].Field != "spec.owner" || errs[0].Detail != "owner is immutable" || errs[1].Field != "spec.ports[0]" || errs[1].Detail != "ports only grow" {
		t.Errorf("transition errors: %v", errs)
	}
	if errs := Validate(changed, s, path); len(errs) != 0 {
		t.Errorf("a create runs no transition rule: %v", errs)
	}
}

// Rules may use Kubernetes' CEL libraries, as CRDs written for Kubernetes do.
func TestValidateCELRulesUseKubernetesLibraries(t *testing.T) {
	s := &Schema{Type: "object", Properties: map[string]Schema{
		"memory": {Type: "string"}, "cidr": {Type: "string"}, "ip": {Type: "string"}, "name": {Type: "string"},
	}, XValidations: apiextensionsv1.ValidationRules{
		{Rule: "quantity(self.memory).isLessThan(quantity('2Gi'))", Message: "memory too large"},
		{Rule: "cidr(self.cidr).containsIP(self.ip)", Message: "ip outside cidr"},
		{Rule: "!format.dns1123Label().validate(self.name).hasValue()", MessageExpression: "format.dns1123Label().validate(self.name).value().join(', ')"},
	}}
	path := field.NewPath("spec")
	if errs := Validate(map[string]any{"memory": "1Gi", "cidr": "10.0.0.0/8", "ip": "10.1.2.3", "name": "web"}, s, path); len(errs) != 0 {
		t.Fatalf("valid object: %v", errs)
	}
	errs := Validate(map[string]any{"memory": "4Gi", "cidr": "10.0.0.0/8", "ip": "192.168.0.1", "name": "Web"}, s, path)
	var details []string
	for _, e := range errs {
		details = append(details, e.Detail)
	}
	if len(errs) != 3 || details[0] != "memory too large" || details[1] != "ip outside cidr" || !strings.Contains(details[2], "RFC 1123 label") {
		t.Errorf("errors %q", details)
	}
}
