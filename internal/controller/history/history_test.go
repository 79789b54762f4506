package history

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func template(image string) *corev1.PodTemplateSpec {
	return &corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: image}}},
	}
}

func TestDataRoundTripAndHash(t *testing.T) {
	data, err := Data(template("nginx:1"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"$patch":"replace"`) {
		t.Errorf("data lacks the replace directive: %s", data)
	}
	got, err := Template(&appsv1.ControllerRevision{Data: runtime.RawExtension{Raw: data}})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(template("nginx:1"), got); d != "" {
		t.Errorf("template (-want +got):\n%s", d)
	}
	other, _ := Data(template("nginx:2"))
	one := int32(1)
	h := Hash(data, nil)
	if h != Hash(data, nil) || h == Hash(other, nil) || h == Hash(data, &one) {
		t.Error("hash is not a function of data and collision count")
	}
	if !sameData(data, []byte(" "+string(data))) || sameData(data, other) {
		t.Error("sameData compares bytes, not JSON values")
	}
	if n := Name(strings.Repeat("x", 300), h); len(n) != maxPrefix+1+len(h) {
		t.Errorf("name length %d", len(n))
	}
}
