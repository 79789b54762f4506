package crd

import (
	"encoding/json"
	"reflect"
	"strings"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// objectMetaFields are the JSON names of ObjectMeta's fields: what an
// embedded resource's metadata may hold. Kubernetes decodes embedded
// metadata into ObjectMeta, which drops everything else.
var objectMetaFields = func() map[string]bool {
	known := map[string]bool{}
	t := reflect.TypeOf(metav1.ObjectMeta{})
	for i := 0; i < t.NumField(); i++ {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			known[name] = true
		}
	}
	return known
}()

// pruneEmbeddedMetadata drops the fields ObjectMeta does not have from an
// embedded resource's metadata, and a null creationTimestamp, as
// Kubernetes' round trip through ObjectMeta does.
func pruneEmbeddedMetadata(meta any, path *field.Path, pruned *[]string) {
	m, ok := meta.(map[string]any)
	if !ok {
		return
	}
	for name, v := range m {
		switch {
		case !objectMetaFields[name]:
			delete(m, name)
			*pruned = append(*pruned, path.Child(name).String())
		case name == "creationTimestamp" && v == nil:
			delete(m, name)
		}
	}
}

// validateEmbeddedMetadata checks an embedded resource's metadata as
// Kubernetes does: it must decode as ObjectMeta, and its labels and
// annotations must be valid.
func validateEmbeddedMetadata(meta any, path *field.Path) field.ErrorList {
	raw, err := json.Marshal(meta)
	if err != nil {
		return field.ErrorList{field.Invalid(path, meta, err.Error())}
	}
	var om metav1.ObjectMeta
	if err := json.Unmarshal(raw, &om); err != nil {
		return field.ErrorList{field.Invalid(path, meta, err.Error())}
	}
	errs := metav1validation.ValidateLabels(om.Labels, path.Child("labels"))
	return append(errs, apivalidation.ValidateAnnotations(om.Annotations, path.Child("annotations"))...)
}
