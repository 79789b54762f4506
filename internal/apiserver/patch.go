package apiserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

// patchType returns the request's patch type, or 415.
func patchType(r *http.Request) (types.PatchType, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch pt := types.PatchType(mt); pt {
	case types.JSONPatchType, types.MergePatchType, types.StrategicMergePatchType, types.ApplyYAMLPatchType:
		return pt, nil
	}
	return "", apierrors.NewGenericServerResponse(http.StatusUnsupportedMediaType, "patch", schema.GroupResource{}, "", fmt.Sprintf("the server does not support patch type %q: supported types are %s, %s, %s, %s", mt, types.JSONPatchType, types.MergePatchType, types.StrategicMergePatchType, types.ApplyYAMLPatchType), 0, false)
}

// applyPatch returns cur with the patch applied, as JSON.
func applyPatch(pt types.PatchType, cur runtime.Object, patch []byte) ([]byte, error) {
	orig, err := json.Marshal(cur)
	if err != nil {
		return nil, err
	}
	var out []byte
	switch pt {
	case types.JSONPatchType:
		p, perr := jsonpatch.DecodePatch(patch)
		if perr != nil {
			return nil, apierrors.NewBadRequest(perr.Error())
		}
		out, err = p.Apply(orig)
	case types.MergePatchType:
		out, err = jsonpatch.MergePatch(orig, patch)
	case types.StrategicMergePatchType:
		out, err = strategicpatch.StrategicMergePatch(orig, patch, cur)
	}
	if err != nil {
		return nil, patchError(err)
	}
	return out, nil
}

func patchError(err error) error {
	var st apierrors.APIStatus
	if errors.As(err, &st) {
		return err
	}
	return apierrors.NewGenericServerResponse(http.StatusUnprocessableEntity, "patch", schema.GroupResource{}, "", err.Error(), 0, false)
}

func (h *resourceHandler) patch(w http.ResponseWriter, r *http.Request, ri *requestInfo) error {
	out, err := negotiate(r)
	if err != nil {
		return err
	}
	pt, err := patchType(r)
	if err != nil {
		return err
	}
	manager, force, err := patchOptions(r, pt)
	if err != nil {
		return err
	}
	dry, err := dryRun(r)
	if err != nil {
		return err
	}
	fv, err := parseFieldValidation(r)
	if err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if pt == types.ApplyYAMLPatchType {
		return h.apply(w, r, ri, out, body, manager, force, dry)
	}
	gvk := h.store.Resource.GVK()
	mutate := func(cur runtime.Object) (runtime.Object, error) {
		if cur == nil {
			return nil, apierrors.NewNotFound(h.store.GroupResource(), ri.Name)
		}
		patched, err := applyPatch(pt, cur, body)
		if err != nil {
			return nil, err
		}
		obj := h.store.NewFunc()
		if err := decodeAs(w, mediaJSON, fv, patched, obj, gvk); err != nil {
			return nil, err
		}
		return obj, nil
	}
	return h.write(w, r, ri, out, h.tracked(ri.Subresource, manager, mutate), dry)
}
