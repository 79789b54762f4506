package apps

import (
	"bytes"
	"encoding/json"
	"reflect"

	appsv1 "k8s.io/api/apps/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry/rest"
)

var dataPath = field.NewPath("data")

// controllerRevisionStrategy: a revision's data is written once.
var controllerRevisionStrategy = rest.Simple{
	Namespaced: true,
	ValidateFn: func(obj runtime.Object) field.ErrorList {
		cr := obj.(*appsv1.ControllerRevision)
		var errs field.ErrorList
		if cr.Data.Raw == nil && cr.Data.Object == nil {
			errs = append(errs, field.Required(dataPath, "data is mandatory"))
		}
		return append(errs, apivalidation.ValidateNonnegativeField(cr.Revision, field.NewPath("revision"))...)
	},
	ValidateUpdateFn: func(obj, old runtime.Object) field.ErrorList {
		cr, o := obj.(*appsv1.ControllerRevision), old.(*appsv1.ControllerRevision)
		if sameJSON(cr.Data.Raw, o.Data.Raw) && reflect.DeepEqual(cr.Data.Object, o.Data.Object) {
			return nil
		}
		return apivalidation.ValidateImmutableField(cr.Data, o.Data, dataPath)
	},
}

// sameJSON compares two JSON documents by value, not by formatting.
func sameJSON(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
