package storage

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiff-sh/skiff/internal/registry/rest"
	"github.com/skiff-sh/skiff/internal/registry/resttest"
)

func meta(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name, ResourceVersion: "1"} }

func TestCSIDriverDefaults(t *testing.T) {
	d := &storagev1.CSIDriver{ObjectMeta: meta("csi.example.com")}
	Strategies()["csidrivers"].Default(d)
	f, rwo := false, storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy
	want := storagev1.CSIDriverSpec{
		AttachRequired: new(true), PodInfoOnMount: &f, StorageCapacity: &f, RequiresRepublish: &f, SELinuxMount: &f,
		FSGroupPolicy: &rwo, VolumeLifecycleModes: []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecyclePersistent},
	}
	if diff := cmp.Diff(want, d.Spec); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCSIValidation(t *testing.T) {
	short, none := int64(60), storagev1.FSGroupPolicy("Sometimes")
	pv := "pv1"
	size := resource.MustParse("-1")
	cases := []struct {
		name, resource string
		obj            runtime.Object
		want           []string
	}{
		{"driver ok", "csidrivers", &storagev1.CSIDriver{ObjectMeta: meta("csi.example.com")}, nil},
		{"driver bad fields", "csidrivers", &storagev1.CSIDriver{ObjectMeta: meta("csi.example.com"), Spec: storagev1.CSIDriverSpec{
			FSGroupPolicy:        &none,
			TokenRequests:        []storagev1.TokenRequest{{Audience: "a", ExpirationSeconds: &short}, {Audience: "a"}},
			VolumeLifecycleModes: []storagev1.VolumeLifecycleMode{"Forever"},
		}}, []string{"spec.fsGroupPolicy", "spec.tokenRequests[0].expirationSeconds", "spec.tokenRequests[1].audience", "spec.volumeLifecycleModes"}},
		{"csinode ok", "csinodes", &storagev1.CSINode{ObjectMeta: meta("n1"), Spec: storagev1.CSINodeSpec{Drivers: []storagev1.CSINodeDriver{
			{Name: "csi.example.com", NodeID: "n1", TopologyKeys: []string{"topology.example.com/zone"}},
		}}}, nil},
		{"csinode bad drivers", "csinodes", &storagev1.CSINode{ObjectMeta: meta("n1"), Spec: storagev1.CSINodeSpec{Drivers: []storagev1.CSINodeDriver{
			{Name: "csi.example.com", NodeID: "n1"}, {Name: "csi.example.com"},
		}}}, []string{"spec.drivers[1].name", "spec.drivers[1].nodeID"}},
		{"capacity bad", "csistoragecapacities", &storagev1.CSIStorageCapacity{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns"}, StorageClassName: "Fast", Capacity: &size},
			[]string{"capacity", "storageClassName"}},
		{"attachment ok", "volumeattachments", &storagev1.VolumeAttachment{ObjectMeta: meta("va"), Spec: storagev1.VolumeAttachmentSpec{
			Attacher: "csi.example.com", NodeName: "n1", Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: &pv},
		}}, nil},
		{"attachment no source", "volumeattachments", &storagev1.VolumeAttachment{ObjectMeta: meta("va"), Spec: storagev1.VolumeAttachmentSpec{NodeName: "n1"}},
			[]string{"spec.attacher", "spec.source"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := Strategies()[c.resource]
			s.Default(c.obj)
			if got := resttest.Paths(s.Validate(c.obj)); !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestCSIImmutable(t *testing.T) {
	s := Strategies()["csidrivers"]
	old := &storagev1.CSIDriver{ObjectMeta: meta("csi.example.com")}
	s.Default(old)
	next := old.DeepCopy()
	next.Spec.AttachRequired, next.Spec.PodInfoOnMount = new(false), new(true)
	if got := resttest.Paths(s.ValidateUpdate(next, old)); !slices.Equal(got, []string{"spec.attachedRequired"}) {
		t.Errorf("csidriver update: got %v, want only attachRequired immutable", got)
	}
	capacity := &storagev1.CSIStorageCapacity{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns", ResourceVersion: "1"}, StorageClassName: "fast"}
	moved := capacity.DeepCopy()
	moved.StorageClassName = "slow"
	if got := resttest.Paths(Strategies()["csistoragecapacities"].ValidateUpdate(moved, capacity)); !slices.Equal(got, []string{"storageClassName"}) {
		t.Errorf("capacity update: got %v", got)
	}
}

// A VolumeAttachment's status is written only through /status and its
// spec never changes.
func TestVolumeAttachmentStatus(t *testing.T) {
	pv := "pv1"
	s := Strategies()["volumeattachments"]
	va := &storagev1.VolumeAttachment{ObjectMeta: meta("va"), Spec: storagev1.VolumeAttachmentSpec{
		Attacher: "csi.example.com", NodeName: "n1", Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: &pv},
	}, Status: storagev1.VolumeAttachmentStatus{Attached: true}}
	s.PrepareForCreate(va)
	if va.Status.Attached {
		t.Error("create kept the status")
	}
	attached := va.DeepCopy()
	attached.Status.Attached = true
	attached.Spec.NodeName = "n2"
	ss := s.(rest.StatusStrategy)
	ss.PrepareForStatusUpdate(attached, va)
	if errs := ss.ValidateStatusUpdate(attached, va); len(errs) > 0 || !attached.Status.Attached || attached.Spec.NodeName != "n1" {
		t.Errorf("status update: %v, %+v", errs, attached)
	}
	moved := va.DeepCopy()
	moved.Spec.NodeName = "n2"
	moved.Status.Attached = true
	s.PrepareForUpdate(moved, va)
	if got := resttest.Paths(s.ValidateUpdate(moved, va)); !slices.Equal(got, []string{"spec"}) || moved.Status.Attached {
		t.Errorf("update: errors %v, status %+v", got, moved.Status)
	}
}
