package integration

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/podutil"
	"github.com/skiff-sh/skiff/internal/controller/replicaset"
	"github.com/skiff-sh/skiff/internal/controller/replicationcontroller"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

func podTemplate(app string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "busybox:1.35"}}},
	}
}

func replicaSet(name string, replicas int32) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: podTemplate(name),
		},
	}
}

// countMaxPods watches pods of app and records the most that existed
// (not being deleted) at once.
func countMaxPods(ctx context.Context, t *testing.T, c *testcluster.Cluster, app string) *atomic.Int32 {
	var most atomic.Int32
	w, err := c.Client.CoreV1().Pods("default").Watch(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil {
		t.Fatal(err)
	}
	live := map[string]bool{}
	go func() {
		defer w.Stop()
		for ev := range w.ResultChan() {
			p, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			live[p.Name] = ev.Type != watch.Deleted && p.DeletionTimestamp == nil
			n := int32(0)
			for _, v := range live {
				if v {
					n++
				}
			}
			if n > most.Load() {
				most.Store(n)
			}
		}
	}()
	return &most
}

func TestReplicaSetKeepsReplicas(t *testing.T) {
	c := testcluster.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	most := countMaxPods(ctx, t, c, "web")
	// An orphan that matches is adopted rather than duplicated.
	orphan := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "orphan", Labels: map[string]string{"app": "web"}}, Spec: podTemplate("web").Spec}
	if _, err := c.Client.CoreV1().Pods("default").Create(ctx, orphan, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	c.RunControllers(t, map[string]controllerctx.Constructor{"replicaset": replicaset.New}, nil)
	rs, err := c.Client.AppsV1().ReplicaSets("default").Create(ctx, replicaSet("web", 3), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitLong(t, 20*time.Second, func() bool { return activePods(listPods(t, c.Client, "default", "app=web")) == 3 }, "3 pods")
	for _, p := range listPods(t, c.Client, "default", "app=web") {
		ref := podutil.GetControllerOf(&p)
		if ref == nil || ref.UID != rs.UID || ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
			t.Errorf("pod %s: controller ref %+v", p.Name, ref)
		}
		if p.Name != "orphan" && (!strings.HasPrefix(p.Name, "web-") || len(p.Name) != len("web-")+5) {
			t.Errorf("pod name %q is not web-<5 chars>", p.Name)
		}
	}
	// A deleted pod is replaced.
	if err := c.Client.CoreV1().Pods("default").Delete(ctx, "orphan", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitLong(t, 20*time.Second, func() bool {
		pods := listPods(t, c.Client, "default", "app=web")
		for _, p := range pods {
			if p.Name == "orphan" {
				return false
			}
		}
		return len(pods) == 3
	}, "a replacement pod")
	// The ready pod survives a scale-down; status counts it.
	pods := listPods(t, c.Client, "default", "app=web")
	keep := pods[1]
	if err := markRunning(ctx, c.Client, &keep, "10.42.0.9", true); err != nil {
		t.Fatal(err)
	}
	waitLong(t, 20*time.Second, func() bool {
		cur, err := c.Client.AppsV1().ReplicaSets("default").Get(ctx, "web", metav1.GetOptions{})
		return err == nil && cur.Status.Replicas == 3 && cur.Status.ReadyReplicas == 1 &&
			cur.Status.AvailableReplicas == 1 && cur.Status.FullyLabeledReplicas == 3 && cur.Status.ObservedGeneration == cur.Generation
	}, "status with one ready pod")
	scale := `{"spec":{"replicas":1}}`
	if _, err := c.Client.AppsV1().ReplicaSets("default").Patch(ctx, "web", "application/merge-patch+json", []byte(scale), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitLong(t, 20*time.Second, func() bool { return len(listPods(t, c.Client, "default", "app=web")) == 1 }, "scale down to 1")
	if left := listPods(t, c.Client, "default", "app=web"); left[0].Name != keep.Name {
		t.Errorf("scale-down kept %s, want the ready pod %s", left[0].Name, keep.Name)
	}
	if m := most.Load(); m > 3 {
		t.Errorf("saw %d pods at once, want at most 3", m)
	}
}

func TestReplicationControllerKeepsReplicas(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	c.RunControllers(t, map[string]controllerctx.Constructor{"replicationcontroller": replicationcontroller.New}, nil)
	two := int32(2)
	tmpl := podTemplate("rc")
	rc := &corev1.ReplicationController{
		ObjectMeta: metav1.ObjectMeta{Name: "rc"},
		Spec:       corev1.ReplicationControllerSpec{Replicas: &two, Selector: map[string]string{"app": "rc"}, Template: &tmpl},
	}
	if _, err := c.Client.CoreV1().ReplicationControllers("default").Create(ctx, rc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitLong(t, 20*time.Second, func() bool {
		cur, err := c.Client.CoreV1().ReplicationControllers("default").Get(ctx, "rc", metav1.GetOptions{})
		return err == nil && cur.Status.Replicas == 2 && len(listPods(t, c.Client, "default", "app=rc")) == 2
	}, "2 pods and status")
	for _, p := range listPods(t, c.Client, "default", "app=rc") {
		if ref := podutil.GetControllerOf(&p); ref == nil || ref.Kind != "ReplicationController" {
			t.Errorf("pod %s: controller ref %+v", p.Name, ref)
		}
	}
}
