package crd

import (
	"reflect"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func testSchema() *Schema {
	min1, max5 := 1.0, 5.0
	preserve := true
	return &Schema{Type: "object", Properties: map[string]Schema{
		"spec": {Type: "object", Required: []string{"size"}, Properties: map[string]Schema{
			"size":  {Type: "integer", Minimum: &min1, Maximum: &max5},
			"name":  {Type: "string", Pattern: "^[a-z]+$"},
			"mode":  {Type: "string", Enum: []apiextensionsv1.JSON{{Raw: []byte(`"fast"`)}, {Raw: []byte(`"slow"`)}}, Default: &apiextensionsv1.JSON{Raw: []byte(`"fast"`)}},
			"port":  {XIntOrString: true},
			"extra": {Type: "object", XPreserveUnknownFields: &preserve},
			"items": {Type: "array", Items: &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &Schema{Type: "object", Properties: map[string]Schema{
				"n": {Type: "integer", Default: &apiextensionsv1.JSON{Raw: []byte(`1`)}},
			}}}},
			"pod": {Type: "object", XEmbeddedResource: true, XPreserveUnknownFields: &preserve},
		}},
	}}
}

func TestValidate(t *testing.T) {
	s := testSchema()
	obj := map[string]any{"spec": map[string]any{"size": int64(9), "name": "A1", "mode": "odd", "port": true, "pod": map[string]any{}}}
	errs := Validate(obj, s, nil)
	got := map[string]field.ErrorType{}
	for _, e := range errs {
		got[e.Field] = e.Type
	}
	want := map[string]field.ErrorType{
		"spec.size": field.ErrorTypeInvalid, "spec.name": field.ErrorTypeInvalid, "spec.mode": field.ErrorTypeNotSupported,
		"spec.port": field.ErrorTypeTypeInvalid, "spec.pod.apiVersion": field.ErrorTypeRequired, "spec.pod.kind": field.ErrorTypeRequired,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors = %v\nwant %v", errs, want)
	}
	if errs := Validate(map[string]any{"spec": map[string]any{}}, s, nil); len(errs) != 1 || errs[0].Type != field.ErrorTypeRequired || errs[0].Field != "spec.size" {
		t.Errorf("required: %v", errs)
	}
	if errs := Validate(map[string]any{"spec": map[string]any{"size": "3"}}, s, nil); len(errs) != 1 || errs[0].Type != field.ErrorTypeTypeInvalid {
		t.Errorf("type: %v", errs)
	}
	if errs := Validate(map[string]any{"spec": map[string]any{"size": int64(3), "port": "http"}}, s, nil); len(errs) != 0 {
		t.Errorf("valid: %v", errs)
	}
}

func TestPruneAndDefault(t *testing.T) {
	s := testSchema()
	obj := map[string]any{
		"apiVersion": "x/v1", "kind": "X", "metadata": map[string]any{"name": "a"},
		"top": int64(1),
		"spec": map[string]any{
			"size": int64(1), "bogus": "x",
			"extra": map[string]any{"anything": map[string]any{"goes": true}},
			"items": []any{map[string]any{"drop": int64(1)}},
			"pod":   map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p"}, "spec": map[string]any{}},
		},
	}
	if unknown := UnknownFields(obj, s); !reflect.DeepEqual(unknown, []string{"spec.bogus", "spec.items[0].drop", "top"}) {
		t.Errorf("unknown = %v", unknown)
	}
	if _, ok := obj["top"]; !ok {
		t.Fatal("UnknownFields changed the object")
	}
	Prune(obj, s)
	Default(obj, s)
	want := map[string]any{
		"apiVersion": "x/v1", "kind": "X", "metadata": map[string]any{"name": "a"},
		"spec": map[string]any{
			"size": int64(1), "mode": "fast",
			"extra": map[string]any{"anything": map[string]any{"goes": true}},
			"items": []any{map[string]any{"n": int64(1)}},
			"pod":   map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p"}, "spec": map[string]any{}},
		},
	}
	if !reflect.DeepEqual(obj, want) {
		t.Errorf("got  %v\nwant %v", obj, want)
	}
}

func TestValidateStructural(t *testing.T) {
	if errs := ValidateStructural(testSchema(), field.NewPath("schema")); len(errs) != 0 {
		t.Errorf("structural schema refused: %v", errs)
	}
	bad := &Schema{Type: "object", Properties: map[string]Schema{"spec": {Properties: map[string]Schema{"a": {Type: "string"}}}}}
	errs := ValidateStructural(bad, field.NewPath("schema"))
	if len(errs) != 1 || errs[0].Field != "schema.properties[spec].type" {
		t.Errorf("errors = %v", errs)
	}
}

// An embedded resource's metadata is ObjectMeta: unknown fields are
// pruned, wrong types and bad labels are invalid.
func TestEmbeddedResourceMetadata(t *testing.T) {
	s := testSchema()
	obj := map[string]any{"apiVersion": "x/v1", "kind": "X", "metadata": map[string]any{"name": "a", "color": "red"},
		"spec": map[string]any{"size": int64(1), "pod": map[string]any{"apiVersion": "v1", "kind": "Pod",
			"metadata": map[string]any{"name": "p", "labels": map[string]any{"app": "web"}, "shape": "round", "creationTimestamp": nil}}}}
	pruned := Prune(obj, s)
	if !reflect.DeepEqual(pruned, []string{"spec.pod.metadata.shape"}) {
		t.Errorf("pruned %v", pruned)
	}
	meta := obj["spec"].(map[string]any)["pod"].(map[string]any)["metadata"]
	if want := map[string]any{"name": "p", "labels": map[string]any{"app": "web"}}; !reflect.DeepEqual(meta, want) {
		t.Errorf("embedded metadata %v, want %v", meta, want)
	}
	bad := map[string]any{"spec": map[string]any{"size": int64(1), "pod": map[string]any{"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"labels": map[string]any{"bad key!": "x"}}}}}
	if errs := Validate(bad, s, nil); len(errs) != 1 || errs[0].Field != "spec.pod.metadata.labels" {
		t.Errorf("bad label: %v", errs)
	}
	wrongType := map[string]any{"spec": map[string]any{"size": int64(1), "pod": map[string]any{"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": int64(3)}}}}
	if errs := Validate(wrongType, s, nil); len(errs) != 1 || errs[0].Field != "spec.pod.metadata" || errs[0].Type != field.ErrorTypeInvalid {
		t.Errorf("wrong type: %v", errs)
	}
}
