package statefulset

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func webSet() *appsv1.StatefulSet {
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"},
		Spec: appsv1.StatefulSetSpec{
			ServiceName: "nginx",
			Selector:    &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{Name: "c", Image: "nginx"}},
					Volumes:    []corev1.Volume{{Name: "data"}, {Name: "config"}},
				},
			},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "data", Labels: map[string]string{"tier": "db"}}}},
		},
	}
}

func TestNewPodIdentity(t *testing.T) {
	set := webSet()
	pod := newPod(set, &set.Spec.Template, "web-abc", 2)
	if pod.Name != "web-2" || pod.GenerateName != "" || pod.Spec.Hostname != "web-2" || pod.Spec.Subdomain != "nginx" {
		t.Errorf("identity: name %q generateName %q hostname %q subdomain %q", pod.Name, pod.GenerateName, pod.Spec.Hostname, pod.Spec.Subdomain)
	}
	wantLabels := map[string]string{"app": "web", appsv1.StatefulSetPodNameLabel: "web-2", appsv1.PodIndexLabel: "2", appsv1.ControllerRevisionHashLabelKey: "web-abc"}
	if d := cmp.Diff(wantLabels, pod.Labels); d != "" {
		t.Errorf("labels (-want +got):\n%s", d)
	}
	wantVols := []corev1.Volume{
		{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data-web-2"}}},
		{Name: "config"},
	}
	if d := cmp.Diff(wantVols, pod.Spec.Volumes); d != "" {
		t.Errorf("volumes (-want +got):\n%s", d)
	}
	cl := claims(set, 2)
	if len(cl) != 1 || cl[0].pvc.Name != "data-web-2" || cl[0].pvc.Labels["app"] != "web" || cl[0].pvc.Labels["tier"] != "db" {
		t.Errorf("claims %+v", cl)
	}
	if set.Spec.VolumeClaimTemplates[0].Labels["app"] != "" {
		t.Error("claims changed the set's template")
	}
}

func TestOrdinal(t *testing.T) {
	set := webSet()
	for name, want := range map[string]int{"web-0": 0, "web-12": 12, "web-x": -1, "webby-1": -1, "web": -1} {
		got, ok := ordinal(set, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}})
		if (want < 0 && ok) || (want >= 0 && (!ok || got != want)) {
			t.Errorf("ordinal(%s) = %d, %v", name, got, ok)
		}
	}
}
