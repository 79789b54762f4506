package e2e

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiff-sh/skiff/internal/testcluster"
)

// TestRuntimeClass runs a pod whose RuntimeClass names the runc handler
// the agent's containerd defines, and checks its sandbox was started
// with it; a pod whose class names a handler containerd lacks gets no
// sandbox and a FailedCreatePodSandBox event.
func TestRuntimeClass(t *testing.T) {
	requireNode(t)
	c := testcluster.Start(t)
	n := startNode(t, c, "e2e-node")
	ctx := context.Background()
	const ns = "e2e-runtimeclass"
	createNamespace(t, c, ns)
	for name, handler := range map[string]string{"plain": "runc", "bogus": "bogus"} {
		rc := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Handler: handler}
		if _, err := c.Client.NodeV1().RuntimeClasses().Create(ctx, rc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	pods := c.Client.CoreV1().Pods(ns)
	withClass := func(name, class string) *corev1.Pod {
		p := makePod(name, corev1.RestartPolicyAlways, "sleep", "3600")
		p.Spec.RuntimeClassName = &class
		return p
	}

	good := create(t, pods, withClass("runc-pod", "plain"))
	waitPod(t, c.Client, good, 60*time.Second, "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	if sbs := n.sandboxesOf(t, string(good.UID)); len(sbs) != 1 || sbs[0].RuntimeHandler != "runc" {
		t.Errorf("sandboxes of runc-pod: %+v, want one with handler runc", sbs)
	}

	bad := create(t, pods, withClass("bogus-pod", "bogus"))
	waitEvent(t, c.Client, ns, bad.Name, "FailedCreatePodSandBox", `"bogus"`)
	got, err := pods.Get(ctx, bad.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status.Phase != corev1.PodPending || len(n.sandboxesOf(t, string(bad.UID))) != 0 || len(n.containersOf(t, string(bad.UID))) != 0 {
		t.Errorf("bogus-pod: phase %s, sandboxes %d, containers %d; want Pending with none",
			got.Status.Phase, len(n.sandboxesOf(t, string(bad.UID))), len(n.containersOf(t, string(bad.UID))))
	}
}

// sandboxesOf lists the runtime's sandboxes of a pod.
func (n *node) sandboxesOf(t *testing.T, uid string) []*runtimeapi.PodSandbox {
	resp, err := n.runtime.ListPodSandbox(context.Background(), &runtimeapi.ListPodSandboxRequest{
		Filter: &runtimeapi.PodSandboxFilter{LabelSelector: map[string]string{"io.kubernetes.pod.uid": uid}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Items
}
