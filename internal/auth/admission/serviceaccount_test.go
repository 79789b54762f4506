package admission

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/skiff-sh/skiff/internal/registry"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

func TestServiceAccountAdmission(t *testing.T) {
	no := false
	accounts := map[string]*corev1.ServiceAccount{
		"default": {ObjectMeta: metav1.ObjectMeta{Name: "default"}},
		"quiet":   {ObjectMeta: metav1.ObjectMeta{Name: "quiet"}, AutomountServiceAccountToken: &no},
	}
	plugin := ServiceAccount{Get: func(_ context.Context, _, name string) (*corev1.ServiceAccount, error) {
		if sa, ok := accounts[name]; ok {
			return sa, nil
		}
		return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "serviceaccounts"}, name)
	}}
	admit := func(pod *corev1.Pod) *corev1.Pod {
		t.Helper()
		a := &generic.Attributes{Operation: generic.Create, Resource: registry.Resource{GroupVersionResource: corev1.SchemeGroupVersion.WithResource("pods")}, Namespace: "ns", Object: pod}
		if err := plugin.Admit(context.Background(), a); err != nil {
			t.Fatal(err)
		}
		return pod
	}
	twoContainers := func() *corev1.Pod {
		return &corev1.Pod{Spec: corev1.PodSpec{InitContainers: []corev1.Container{{Name: "init"}}, Containers: []corev1.Container{{Name: "a"}, {Name: "b"}}}}
	}

	p := admit(twoContainers())
	if p.Spec.ServiceAccountName != "default" {
		t.Errorf("serviceAccountName %q, want default", p.Spec.ServiceAccountName)
	}
	if len(p.Spec.Volumes) != 1 || !strings.HasPrefix(p.Spec.Volumes[0].Name, "kube-api-access-") || len(p.Spec.Volumes[0].Name) != len("kube-api-access-")+5 {
		t.Fatalf("volumes %+v", p.Spec.Volumes)
	}
	src := p.Spec.Volumes[0].Projected.Sources
	if len(src) != 3 || src[0].ServiceAccountToken == nil || *src[0].ServiceAccountToken.ExpirationSeconds != 3607 ||
		src[1].ConfigMap.Name != "kube-root-ca.crt" || src[2].DownwardAPI.Items[0].FieldRef.FieldPath != "metadata.namespace" {
		t.Errorf("projected sources %+v", src)
	}
	for _, c := range append(p.Spec.InitContainers, p.Spec.Containers...) {
		if len(c.VolumeMounts) != 1 || c.VolumeMounts[0].MountPath != ServiceAccountMountPath || !c.VolumeMounts[0].ReadOnly {
			t.Errorf("container %s mounts %+v", c.Name, c.VolumeMounts)
		}
	}

	q := twoContainers()
	q.Spec.ServiceAccountName = "quiet"
	if q = admit(q); len(q.Spec.Volumes) != 0 {
		t.Error("an account with automountServiceAccountToken=false still got a token volume")
	}
	yes := true
	q = twoContainers()
	q.Spec.ServiceAccountName, q.Spec.AutomountServiceAccountToken = "quiet", &yes
	if q = admit(q); len(q.Spec.Volumes) != 1 {
		t.Error("the pod's automountServiceAccountToken=true does not override its account's false")
	}
	q = twoContainers()
	q.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "mine", MountPath: ServiceAccountMountPath}}
	if q = admit(q); len(q.Spec.Volumes) != 0 {
		t.Error("a pod mounting its own volume at the token path got another")
	}
	q = twoContainers()
	q.Spec.ServiceAccountName = "not-yet"
	if q = admit(q); len(q.Spec.Volumes) != 1 {
		t.Error("a pod of a missing account got no token volume")
	}
}
