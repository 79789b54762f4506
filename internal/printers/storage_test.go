package printers

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	nodev1 "k8s.io/api/node/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestStorageKinds(t *testing.T) {
	created := metav1.NewTime(now.Add(-5 * time.Minute))
	om := metav1.ObjectMeta{Name: "x", CreationTimestamp: created}
	pv := "pv1"
	size := resource.MustParse("10Gi")
	cases := []struct {
		name string
		obj  runtime.Object
		want []any
	}{
		{"csidriver unset", &storagev1.CSIDriver{ObjectMeta: om}, []any{"x", true, false, false, "<unset>", false, "<none>", "5m"}},
		{"csidriver set", &storagev1.CSIDriver{ObjectMeta: om, Spec: storagev1.CSIDriverSpec{
			AttachRequired: new(false), PodInfoOnMount: new(true),
			TokenRequests:        []storagev1.TokenRequest{{Audience: "a"}, {Audience: "b"}},
			VolumeLifecycleModes: []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecyclePersistent, storagev1.VolumeLifecycleEphemeral},
		}}, []any{"x", false, true, false, "a,b", false, "Persistent,Ephemeral", "5m"}},
		{"csinode", &storagev1.CSINode{ObjectMeta: om, Spec: storagev1.CSINodeSpec{Drivers: []storagev1.CSINodeDriver{{Name: "d"}}}}, []any{"x", int64(1), "5m"}},
		{"capacity", &storagev1.CSIStorageCapacity{ObjectMeta: om, StorageClassName: "fast", Capacity: &size}, []any{"x", "fast", "10Gi", "5m"}},
		{"capacity unset", &storagev1.CSIStorageCapacity{ObjectMeta: om, StorageClassName: "fast"}, []any{"x", "fast", "<unset>", "5m"}},
		{"attachment", &storagev1.VolumeAttachment{ObjectMeta: om, Spec: storagev1.VolumeAttachmentSpec{
			Attacher: "csi.example.com", NodeName: "n1", Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: &pv},
		}, Status: storagev1.VolumeAttachmentStatus{Attached: true}}, []any{"x", "csi.example.com", "pv1", "n1", true, "5m"}},
		{"runtimeclass", &nodev1.RuntimeClass{ObjectMeta: om, Handler: "runc"}, []any{"x", "runc", "5m"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, cells(t, c.obj)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
