package apiserver

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/skiff-sh/skiff/internal/registry"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

func TestManagerOf(t *testing.T) {
	for ua, want := range map[string]string{
		"kubectl/v1.32.4 (linux/amd64) kubernetes/abc": "kubectl",
		"kube-controller-manager/v1.33.0":              "kube-controller-manager",
		"no-slash":                                     "no-slash",
		"":                                             "",
		"bad\x01agent/1":                               "badagent",
		strings.Repeat("a", 200) + "/1":                strings.Repeat("a", 128),
	} {
		r := httptest.NewRequest("PATCH", "/api/v1/namespaces/default/pods/p", nil)
		r.Header.Set("User-Agent", ua)
		if got := managerOf(r); got != want {
			t.Errorf("managerOf(%q) = %q, want %q", ua, got, want)
		}
	}
	r := httptest.NewRequest("PATCH", "/api/v1/namespaces/default/pods/p?fieldManager=mine", nil)
	r.Header.Set("User-Agent", "kubectl/v1")
	if got := managerOf(r); got != "mine" {
		t.Errorf("managerOf with fieldManager = %q, want mine", got)
	}
}

func TestPatchOptions(t *testing.T) {
	for url, want := range map[string]string{
		"/x":                          "fieldManager: Required value: is required for apply patch",
		"/x?fieldManager=m&force=yes": `invalid force "yes"`,
	} {
		_, _, err := patchOptions(httptest.NewRequest("PATCH", url, nil), "application/apply-patch+yaml")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", url, err, want)
		}
	}
	_, _, err := patchOptions(httptest.NewRequest("PATCH", "/x?force=true", nil), "application/merge-patch+json")
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "force: Forbidden: may not be specified for non-apply patch") {
		t.Errorf("force on merge patch: err = %v", err)
	}
}

var (
	fmTypes       = &typeConverter{resources: registry.Builtin()}
	deploymentsFM = newFieldManagers(fmTypes, storeFor("deployments", func() runtime.Object { return &appsv1.Deployment{} }))
	podsFM        = newFieldManagers(fmTypes, storeFor("pods", func() runtime.Object { return &corev1.Pod{} }))
)

func storeFor(resource string, newFunc func() runtime.Object) *generic.Store {
	for _, r := range registry.Builtin() {
		if r.Resource == resource {
			return &generic.Store{Resource: r, NewFunc: newFunc}
		}
	}
	panic(resource)
}

func deployment(replicas int32) *appsv1.Deployment {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "busybox"}}},
			},
		},
	}
	d.SetGroupVersionKind(appsv1.SchemeGroupVersion.WithKind("Deployment"))
	return d
}

func TestApplyConflictsWithUpdate(t *testing.T) {
	created, err := deploymentsFM.update("", nil, deployment(2), "kubectl-client-side-apply")
	if err != nil {
		t.Fatal(err)
	}
	mf := created.(*appsv1.Deployment).ManagedFields
	if len(mf) != 1 || mf[0].Manager != "kubectl-client-side-apply" || mf[0].Operation != metav1.ManagedFieldsOperationUpdate || mf[0].APIVersion != "apps/v1" || mf[0].FieldsV1 == nil || mf[0].Time == nil {
		t.Fatalf("managedFields after create = %+v", mf)
	}
	live := created.(*appsv1.Deployment)
	live.UID = "u1"
	patch, err := decodeApply([]byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n"))
	if err != nil {
		t.Fatal(err)
	}
	fm, err := deploymentsFM.get("")
	if err != nil {
		t.Fatal(err)
	}
	_, err = fm.Apply(live, patch.DeepCopy(), "other", false)
	if !apierrors.IsConflict(err) {
		t.Fatalf("apply: err = %v, want a conflict", err)
	}
	want := `Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas`
	if err.Error() != want {
		t.Errorf("conflict message = %q", err.Error())
	}
	causes := err.(apierrors.APIStatus).Status().Details.Causes
	if len(causes) != 1 || causes[0].Type != metav1.CauseTypeFieldManagerConflict || causes[0].Field != ".spec.replicas" {
		t.Errorf("causes = %+v", causes)
	}
	obj, err := fm.Apply(live, patch.DeepCopy(), "other", true)
	if err != nil {
		t.Fatal(err)
	}
	d := obj.(*appsv1.Deployment)
	if *d.Spec.Replicas != 3 || d.Spec.Template.Spec.Containers[0].Image != "busybox" {
		t.Errorf("forced apply gave %+v", d.Spec)
	}
	managers := map[string]metav1.ManagedFieldsOperationType{}
	for _, e := range d.ManagedFields {
		managers[e.Manager] = e.Operation
	}
	if managers["other"] != metav1.ManagedFieldsOperationApply || managers["kubectl-client-side-apply"] != metav1.ManagedFieldsOperationUpdate {
		t.Errorf("managers after forced apply = %v", managers)
	}
}

func TestStatusWritesRecordSubresource(t *testing.T) {
	created, err := deploymentsFM.update("", nil, deployment(1), "kubectl")
	if err != nil {
		t.Fatal(err)
	}
	live := created.(*appsv1.Deployment)
	live.UID = "u1"
	next := live.DeepCopy()
	next.Status.Replicas = 1
	obj, err := deploymentsFM.update("status", live, next, "kube-controller-manager")
	if err != nil {
		t.Fatal(err)
	}
	var sub string
	for _, e := range obj.(*appsv1.Deployment).ManagedFields {
		if e.Manager == "kube-controller-manager" {
			sub = e.Subresource
		}
	}
	if sub != "status" {
		t.Errorf("status write: managedFields = %+v", obj.(*appsv1.Deployment).ManagedFields)
	}
}

// BenchmarkTrackPodCreate is what field management adds to a pod create.
func BenchmarkTrackPodCreate(b *testing.B) {
	start := time.Now()
	if _, err := podsFM.get(""); err != nil {
		b.Fatal(err)
	}
	b.Logf("type converter and field manager built in %v", time.Since(start))
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default", Labels: map[string]string{"app": "bench"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox", Command: []string{"sleep", "3600"}}}},
	}
	pod.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Pod"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := podsFM.update("", nil, pod.DeepCopy(), "bench"); err != nil {
			b.Fatal(err)
		}
	}
}
