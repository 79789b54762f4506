package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/hollow"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

// TestRuntimeClassAdmission creates a RuntimeClass through the API and
// checks that pods naming it get its overhead and scheduling constraints,
// that pods naming a missing class are refused with Kubernetes' message,
// and that the handler is immutable.
func TestRuntimeClassAdmission(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	classes := c.Client.NodeV1().RuntimeClasses()
	rc := &nodev1.RuntimeClass{
		ObjectMeta: metav1.ObjectMeta{Name: "sandboxed"}, Handler: "runc",
		Overhead:   &nodev1.Overhead{PodFixed: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")}},
		Scheduling: &nodev1.Scheduling{NodeSelector: map[string]string{"sandbox": "yes"}},
	}
	rc, err := classes.Create(ctx, rc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rc.Handler = "kata"
	if _, err := classes.Update(ctx, rc, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "handler: Invalid value") {
		t.Errorf("handler update: %v, want Invalid", err)
	}

	pod := func(name, class string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{
			RuntimeClassName: &class, Containers: []corev1.Container{{Name: "c", Image: "busybox"}},
		}}
	}
	pods := c.Client.CoreV1().Pods("default")
	_, err = pods.Create(ctx, pod("lost", "x"), metav1.CreateOptions{})
	if want := `pods "lost" is forbidden: pod rejected: RuntimeClass "x" not found`; !apierrors.IsForbidden(err) || err.Error() != want {
		t.Errorf("missing class: %v, want %s", err, want)
	}
	got, err := pods.Create(ctx, pod("boxed", "sandboxed"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Spec.Overhead.Memory().String() != "64Mi" || got.Spec.NodeSelector["sandbox"] != "yes" {
		t.Errorf("admitted pod: overhead %v, nodeSelector %v", got.Spec.Overhead, got.Spec.NodeSelector)
	}

	out := newKubectl(t, c).must("get", "runtimeclasses")
	if !strings.Contains(out, "NAME") || !strings.Contains(out, "HANDLER") || !strings.Contains(out, "sandboxed   runc") {
		t.Errorf("kubectl get runtimeclasses:\n%s", out)
	}
}

// TestCSIKinds serves the storage.k8s.io CSI kinds: CSIDriver defaults
// and immutable fields, and a VolumeAttachment whose status only
// /status writes.
func TestCSIKinds(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	st := c.Client.StorageV1()
	d, err := st.CSIDrivers().Create(ctx, &storagev1.CSIDriver{ObjectMeta: metav1.ObjectMeta{Name: "csi.example.com"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !*d.Spec.AttachRequired || *d.Spec.PodInfoOnMount || *d.Spec.FSGroupPolicy != storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy || len(d.Spec.VolumeLifecycleModes) != 1 {
		t.Errorf("CSIDriver defaults: %+v", d.Spec)
	}
	d.Spec.AttachRequired = new(false)
	if _, err := st.CSIDrivers().Update(ctx, d, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("attachRequired update: %v, want Invalid", err)
	}

	pv := "pv1"
	va := &storagev1.VolumeAttachment{ObjectMeta: metav1.ObjectMeta{Name: "va"}, Spec: storagev1.VolumeAttachmentSpec{
		Attacher: "csi.example.com", NodeName: "n1", Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: &pv},
	}, Status: storagev1.VolumeAttachmentStatus{Attached: true}}
	va, err = st.VolumeAttachments().Create(ctx, va, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if va.Status.Attached {
		t.Error("create set the status")
	}
	va.Status.Attached = true
	if va, err = st.VolumeAttachments().UpdateStatus(ctx, va, metav1.UpdateOptions{}); err != nil || !va.Status.Attached {
		t.Fatalf("status update: %v %+v", err, va)
	}
	va.Spec.NodeName = "n2"
	if _, err := st.VolumeAttachments().Update(ctx, va, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("spec update: %v, want Invalid", err)
	}
	out := newKubectl(t, c).must("get", "volumeattachments")
	if !strings.Contains(out, "ATTACHER") || !strings.Contains(out, "csi.example.com   pv1   n1     true") {
		t.Errorf("kubectl get volumeattachments:\n%s", out)
	}
}

// TestKubeletCreatesCSINode: a kubelet registering its node creates the
// node's CSINode, owned by the Node, as Kubernetes' kubelet does.
func TestKubeletCreatesCSINode(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	runHollowFleet(t, hollow.Config{Client: c.Client, Count: 1, CPU: "2", LeaseInterval: time.Second, RootCA: c.Config.CAData})
	var csiNode *storagev1.CSINode
	waitFor(t, func() bool {
		var err error
		csiNode, err = c.Client.StorageV1().CSINodes().Get(ctx, "hollow-node-0", metav1.GetOptions{})
		return err == nil
	}, "hollow-node-0's CSINode")
	node, err := c.Client.CoreV1().Nodes().Get(ctx, "hollow-node-0", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	refs := csiNode.OwnerReferences
	if len(refs) != 1 || refs[0].Kind != "Node" || refs[0].APIVersion != "v1" || refs[0].UID != node.UID || len(csiNode.Spec.Drivers) != 0 {
		t.Errorf("CSINode: owners %+v, drivers %+v", refs, csiNode.Spec.Drivers)
	}
}
