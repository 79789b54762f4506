package kubelet

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"

	"github.com/skiff-sh/skiff/internal/cri"
)

func configMapVolume(name string) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}}}}
}

func TestRefreshVolumes(t *testing.T) {
	ctx := context.Background()
	ns := "default"
	client := fake.NewSimpleClientset(
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "changed"}, Data: map[string]string{"k": "v1"}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "same"}, Data: map[string]string{"k": "v1"}},
	)
	now := time.Unix(1_700_000_000, 0)
	k, err := New(Config{NodeName: "n", Client: client, Runtime: &cri.Client{}, DataDir: t.TempDir(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	k.recorder = record.NewFakeRecorder(10)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "p", UID: "uid-1", Labels: map[string]string{"app": "a"}},
		Spec: corev1.PodSpec{Volumes: []corev1.Volume{configMapVolume("changed"), configMapVolume("same"),
			{Name: "labels", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{
				{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}}}}}}}},
	}
	f := podFacts{pod: pod}
	w := &worker{ref: podRef{uid: pod.UID, namespace: ns, name: pod.Name}}
	if w.volumes, err = k.setupVolumes(ctx, f); err != nil {
		t.Fatal(err)
	}
	k.refreshVolumes(ctx, w, f) // the first sync, right after set-up
	target := func(vol string) string {
		l, err := os.Readlink(filepath.Join(w.volumes[vol], "..data"))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	read := func(vol, file string) string {
		b, err := os.ReadFile(filepath.Join(w.volumes[vol], file))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	before := map[string]string{"changed": target("changed"), "same": target("same"), "labels": target("labels")}

	cm, _ := client.CoreV1().ConfigMaps(ns).Get(ctx, "changed", metav1.GetOptions{})
	cm.Data["k"] = "v2"
	if _, err := client.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second)
	k.refreshVolumes(ctx, w, f)
	if got := read("changed", "k"); got != "v1" {
		t.Fatalf("rewritten before the resync: %q", got)
	}

	w.refresh.due = true // the resync tick
	now = now.Add(time.Minute)
	k.refreshVolumes(ctx, w, f)
	if got := read("changed", "k"); got != "v2" {
		t.Errorf("changed volume holds %q, want v2", got)
	}
	if target("changed") == before["changed"] {
		t.Errorf("changed volume: ..data still points to %s", before["changed"])
	}
	for _, v := range []string{"same", "labels"} {
		if target(v) != before[v] {
			t.Errorf("unchanged volume %s rewritten: ..data %s -> %s", v, before[v], target(v))
		}
	}

	// A label change is written without waiting for the resync.
	pod.Labels["app"] = "b"
	now = now.Add(time.Second)
	k.refreshVolumes(ctx, w, f)
	if got := read("labels", "labels"); got != `app="b"` {
		t.Errorf("labels file %q, want app=\"b\"", got)
	}
}
