package storage

import (
	"slices"
	"testing"

	"github.com/skiff-sh/skiff/internal/registry/resttest"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var strat = Strategies()["storageclasses"]

func class(mut func(*storagev1.StorageClass)) *storagev1.StorageClass {
	sc := &storagev1.StorageClass{
		ObjectMeta:  metav1.ObjectMeta{Name: "fast", ResourceVersion: "1"},
		Provisioner: "example.com/Disk",
		Parameters:  map[string]string{"type": "ssd"},
	}
	if mut != nil {
		mut(sc)
	}
	strat.Default(sc)
	return sc
}

func TestDefault(t *testing.T) {
	sc := class(nil)
	if *sc.ReclaimPolicy != corev1.PersistentVolumeReclaimDelete || *sc.VolumeBindingMode != storagev1.VolumeBindingImmediate {
		t.Errorf("defaults: %v %v", *sc.ReclaimPolicy, *sc.VolumeBindingMode)
	}
}

func TestValidate(t *testing.T) {
	recycle := corev1.PersistentVolumeReclaimRecycle
	later := storagev1.VolumeBindingMode("Later")
	cases := []struct {
		name string
		mut  func(*storagev1.StorageClass)
		want []string
	}{
		{"valid", nil, nil},
		{"no provisioner", func(sc *storagev1.StorageClass) { sc.Provisioner = "" }, []string{"provisioner"}},
		{"bad provisioner", func(sc *storagev1.StorageClass) { sc.Provisioner = "a/b/c" }, []string{"provisioner"}},
		{"recycle", func(sc *storagev1.StorageClass) { sc.ReclaimPolicy = &recycle }, []string{"reclaimPolicy"}},
		{"bad binding mode", func(sc *storagev1.StorageClass) { sc.VolumeBindingMode = &later }, []string{"volumeBindingMode"}},
		{"empty parameter key", func(sc *storagev1.StorageClass) { sc.Parameters[""] = "x" }, []string{"parameters"}},
		{"topology without values", func(sc *storagev1.StorageClass) {
			sc.AllowedTopologies = []corev1.TopologySelectorTerm{{MatchLabelExpressions: []corev1.TopologySelectorLabelRequirement{{Key: "zone"}}}}
		}, []string{"allowedTopologies[0].matchLabelExpressions[0].values"}},
		{"bad name", func(sc *storagev1.StorageClass) { sc.Name = "Fast" }, []string{"metadata.name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := resttest.Paths(strat.Validate(class(c.mut))); !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestValidateUpdate(t *testing.T) {
	retain := corev1.PersistentVolumeReclaimRetain
	wait := storagev1.VolumeBindingWaitForFirstConsumer
	next := class(func(sc *storagev1.StorageClass) {
		sc.Provisioner = "example.com/other"
		sc.Parameters = nil
		sc.ReclaimPolicy = &retain
		sc.VolumeBindingMode = &wait
	})
	want := []string{"parameters", "provisioner", "reclaimPolicy", "volumeBindingMode"}
	if got := resttest.Paths(strat.ValidateUpdate(next, class(nil))); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	expand := class(func(sc *storagev1.StorageClass) { sc.AllowVolumeExpansion = new(bool) })
	if errs := strat.ValidateUpdate(expand, class(nil)); len(errs) > 0 {
		t.Errorf("allowVolumeExpansion is mutable: %v", errs)
	}
}
