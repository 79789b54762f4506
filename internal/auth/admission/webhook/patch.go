package webhook

import (
	"encoding/json"
	"fmt"
	"reflect"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
)

// applyPatch applies an RFC 6902 JSON patch to obj in place and reports
// whether it changed anything.
func applyPatch(obj runtime.Object, patch []byte) (bool, error) {
	p, err := jsonpatch.DecodePatch(patch)
	if err != nil {
		return false, fmt.Errorf("decode patch: %w", err)
	}
	doc, err := json.Marshal(obj)
	if err != nil {
		return false, err
	}
	out, err := p.Apply(doc)
	if err != nil {
		return false, fmt.Errorf("apply patch: %w", err)
	}
	fresh := reflect.New(reflect.TypeOf(obj).Elem())
	if err := json.Unmarshal(out, fresh.Interface()); err != nil {
		return false, fmt.Errorf("decode patched object: %w", err)
	}
	if equality.Semantic.DeepEqual(obj, fresh.Interface()) {
		return false, nil
	}
	reflect.ValueOf(obj).Elem().Set(fresh.Elem())
	return true, nil
}
