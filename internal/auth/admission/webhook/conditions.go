package webhook

import (
	"encoding/json"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	admissionv1 "k8s.io/api/admission/v1"
	admissionregv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiff-sh/skiff/internal/auth/admission/admissioncel"
)

// conditionsHold evaluates a webhook's matchConditions over object,
// oldObject and request: all must be true for the webhook to be called.
// An error is a call failure, which failurePolicy decides about.
func conditionsHold(conds []admissionregv1.MatchCondition, req *admissionv1.AdmissionRequest) (bool, error) {
	if len(conds) == 0 {
		return true, nil
	}
	vars, err := conditionVars(req)
	if err != nil {
		return false, err
	}
	for _, c := range conds {
		out, err := admissioncel.Eval(c.Expression, cel.BoolType, vars)
		if err != nil {
			return false, err
		}
		if out != types.True {
			return false, nil
		}
	}
	return true, nil
}

func conditionVars(req *admissionv1.AdmissionRequest) (map[string]any, error) {
	vars := map[string]any{}
	for name, ext := range map[string]runtime.RawExtension{"object": req.Object, "oldObject": req.OldObject} {
		var v any
		if len(ext.Raw) > 0 {
			if err := json.Unmarshal(ext.Raw, &v); err != nil {
				return nil, err
			}
		}
		vars[name] = v
	}
	bare := *req
	bare.Object, bare.OldObject = runtime.RawExtension{}, runtime.RawExtension{}
	data, err := json.Marshal(&bare)
	if err != nil {
		return nil, err
	}
	var r any
	err = json.Unmarshal(data, &r)
	vars["request"] = r
	return vars, err
}
