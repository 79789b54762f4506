package webhook

import (
	"encoding/json"
	"slices"

	"github.com/google/uuid"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/skiff-sh/skiff/internal/auth/authn"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// NewRequest describes a write as Kubernetes' AdmissionRequest does.
// skiff serves one version per resource, so the request's kind and
// resource are also the ones a webhook is sent.
func NewRequest(a *generic.Attributes, u *authn.User) (*admissionv1.AdmissionRequest, error) {
	gvr := a.Resource.GroupVersionResource
	gvk := a.Resource.GVK()
	req := &admissionv1.AdmissionRequest{
		UID:  types.UID(uuid.NewString()),
		Kind: metav1.GroupVersionKind(gvk), Resource: metav1.GroupVersionResource(gvr), SubResource: a.Subresource,
		RequestKind: &metav1.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind}, RequestResource: &metav1.GroupVersionResource{Group: gvr.Group, Version: gvr.Version, Resource: gvr.Resource}, RequestSubResource: a.Subresource,
		Name: a.Name, Namespace: a.Namespace, Operation: admissionv1.Operation(a.Operation),
		DryRun: &a.DryRun, Options: options(a),
	}
	if u != nil {
		req.UserInfo = authenticationv1.UserInfo{Username: u.Name, UID: u.UID, Groups: u.Groups}
		if len(u.Extra) > 0 {
			req.UserInfo.Extra = map[string]authenticationv1.ExtraValue{}
			for k, v := range u.Extra {
				req.UserInfo.Extra[k] = v
			}
		}
	}
	var err error
	if req.Object, err = raw(a.Object, gvk); err != nil {
		return nil, err
	}
	req.OldObject, err = raw(a.Old, gvk)
	return req, err
}

// raw encodes obj as JSON with its apiVersion and kind.
func raw(obj runtime.Object, gvk schema.GroupVersionKind) (runtime.RawExtension, error) {
	if obj == nil {
		return runtime.RawExtension{}, nil
	}
	if obj.GetObjectKind().GroupVersionKind().Empty() {
		obj = obj.DeepCopyObject()
		obj.GetObjectKind().SetGroupVersionKind(gvk)
	}
	data, err := json.Marshal(obj)
	return runtime.RawExtension{Raw: data}, err
}

// options are the request's options as Kubernetes sends them: what skiff
// knows of them is whether the request is a dry run.
func options(a *generic.Attributes) runtime.RawExtension {
	var dryRun []string
	if a.DryRun {
		dryRun = []string{metav1.DryRunAll}
	}
	var o runtime.Object
	switch a.Operation {
	case generic.Create:
		o = &metav1.CreateOptions{TypeMeta: metav1.TypeMeta{APIVersion: "meta.k8s.io/v1", Kind: "CreateOptions"}, DryRun: dryRun}
	case generic.Update:
		o = &metav1.UpdateOptions{TypeMeta: metav1.TypeMeta{APIVersion: "meta.k8s.io/v1", Kind: "UpdateOptions"}, DryRun: dryRun}
	default:
		o = &metav1.DeleteOptions{TypeMeta: metav1.TypeMeta{APIVersion: "meta.k8s.io/v1", Kind: "DeleteOptions"}, DryRun: dryRun}
	}
	data, _ := json.Marshal(o)
	return runtime.RawExtension{Raw: data}
}

// reviewVersion picks the AdmissionReview version to send: v1 when the
// webhook accepts it, else v1beta1 (the same JSON under another name).
func reviewVersion(accepted []string) string {
	if slices.Contains(accepted, "v1") || !slices.Contains(accepted, "v1beta1") {
		return "admission.k8s.io/v1"
	}
	return "admission.k8s.io/v1beta1"
}
