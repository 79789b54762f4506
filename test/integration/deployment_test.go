package integration

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	deploymentctrl "github.com/skiff-sh/skiff/internal/controller/deployment"
	"github.com/skiff-sh/skiff/internal/controller/podutil"
	"github.com/skiff-sh/skiff/internal/controller/replicaset"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

func runDeploymentControllers(t *testing.T, c *testcluster.Cluster) {
	c.RunControllers(t, map[string]controllerctx.Constructor{"replicaset": replicaset.New, "deployment": deploymentctrl.New}, nil)
}

func rollingDeploy(name string, replicas int32, surge, unavailable int32) *appsv1.Deployment {
	d := deployment(name, replicas)
	s, u := intstr.FromInt32(surge), intstr.FromInt32(unavailable)
	d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &s, MaxUnavailable: &u}}
	return d
}

func deploymentDone(t *testing.T, c *testcluster.Cluster, name string, image string) func() bool {
	return func() bool {
		d, err := c.Client.AppsV1().Deployments("default").Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cond := progressingCondition(d)
		n := *d.Spec.Replicas
		return d.Spec.Template.Spec.Containers[0].Image == image && d.Status.ObservedGeneration == d.Generation &&
			d.Status.UpdatedReplicas == n && d.Status.AvailableReplicas == n && d.Status.Replicas == n &&
			cond != nil && cond.Reason == deploymentctrl.ReasonNewRSAvailable
	}
}

func progressingCondition(d *appsv1.Deployment) *appsv1.DeploymentCondition {
	for i, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing {
			return &d.Status.Conditions[i]
		}
	}
	return nil
}

// podBounds watches the pods of app and tracks the most that exist and
// the fewest ready ones, counting pods not being deleted.
type podBounds struct {
	mu        sync.Mutex
	pods      map[string]*corev1.Pod
	most      int
	fewest    int
	measuring bool
}

func watchBounds(ctx context.Context, t *testing.T, c *testcluster.Cluster, app string) *podBounds {
	w, err := c.Client.CoreV1().Pods("default").Watch(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil {
		t.Fatal(err)
	}
	b := &podBounds{pods: map[string]*corev1.Pod{}, fewest: 1 << 30}
	go func() {
		defer w.Stop()
		for ev := range w.ResultChan() {
			p, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			b.mu.Lock()
			if ev.Type == watch.Deleted || p.DeletionTimestamp != nil {
				delete(b.pods, p.Name)
			} else {
				b.pods[p.Name] = p
			}
			if b.measuring {
				ready := 0
				for _, q := range b.pods {
					if podutil.IsPodReady(q) {
						ready++
					}
				}
				b.most, b.fewest = max(b.most, len(b.pods)), min(b.fewest, ready)
			}
			b.mu.Unlock()
		}
	}()
	return b
}

func (b *podBounds) start() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.measuring = true
}

func (b *podBounds) result() (most, fewest int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.most, b.fewest
}

func setImage(t *testing.T, c *testcluster.Cluster, name, image, cause string) {
	t.Helper()
	patch := `{"metadata":{"annotations":{"kubernetes.io/change-cause":"` + cause + `"}},"spec":{"template":{"spec":{"containers":[{"name":"web","image":"` + image + `"}]}}}}`
	if _, err := c.Client.AppsV1().Deployments("default").Patch(context.Background(), name, "application/strategic-merge-patch+json", []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestDeploymentRollingUpdate(t *testing.T) {
	c := testcluster.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sel := labels.SelectorFromSet(labels.Set{"app": "roll"})
	go kubelet(ctx, t, c.Client, "default", sel, func(*corev1.Pod) bool { return true })
	bounds := watchBounds(ctx, t, c, "roll")
	runDeploymentControllers(t, c)
	if _, err := c.Client.AppsV1().Deployments("default").Create(ctx, rollingDeploy("roll", 4, 1, 1), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitLong(t, 30*time.Second, deploymentDone(t, c, "roll", "busybox:1.35"), "first rollout")
	bounds.start()
	setImage(t, c, "roll", "busybox:1.36", "update to 1.36")
	waitLong(t, 60*time.Second, deploymentDone(t, c, "roll", "busybox:1.36"), "rolling update")
	if most, fewest := bounds.result(); most > 5 || fewest < 3 {
		t.Errorf("during the rollout: at most %d pods (want <= 4+maxSurge 1), at least %d ready (want >= 4-maxUnavailable 1)", most, fewest)
	}
	rss, err := c.Client.AppsV1().ReplicaSets("default").List(ctx, metav1.ListOptions{LabelSelector: "app=roll"})
	if err != nil {
		t.Fatal(err)
	}
	revs := map[string]int32{}
	for _, rs := range rss.Items {
		hash := rs.Labels[appsv1.DefaultDeploymentUniqueLabelKey]
		if hash == "" || rs.Name != "roll-"+hash || rs.Spec.Selector.MatchLabels[appsv1.DefaultDeploymentUniqueLabelKey] != hash {
			t.Errorf("replica set %s: hash label %q, selector %v", rs.Name, hash, rs.Spec.Selector)
		}
		revs[rs.Annotations[deploymentctrl.RevisionAnnotation]] = *rs.Spec.Replicas
		if rs.Annotations[deploymentctrl.RevisionAnnotation] == "2" && rs.Annotations["kubernetes.io/change-cause"] != "update to 1.36" {
			t.Errorf("change-cause not copied: %v", rs.Annotations)
		}
	}
	if len(revs) != 2 || revs["1"] != 0 || revs["2"] != 4 {
		t.Errorf("replicas by revision = %v, want 1:0 2:4", revs)
	}
	for _, p := range listPods(t, c.Client, "default", "app=roll") {
		if p.DeletionTimestamp == nil && p.Spec.Containers[0].Image != "busybox:1.36" {
			t.Errorf("old pod %s left", p.Name)
		}
	}
}

func TestDeploymentAutoRollback(t *testing.T) {
	c := testcluster.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sel := labels.SelectorFromSet(labels.Set{"app": "auto"})
	go kubelet(ctx, t, c.Client, "default", sel, func(p *corev1.Pod) bool { return !strings.Contains(p.Spec.Containers[0].Image, "broken") })
	runDeploymentControllers(t, c)
	d := rollingDeploy("auto", 2, 1, 0)
	d.Annotations = map[string]string{deploymentctrl.AutoRollbackAnnotation: "true"}
	d.Spec.ProgressDeadlineSeconds = new(int32(2))
	if _, err := c.Client.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitLong(t, 30*time.Second, deploymentDone(t, c, "auto", "busybox:1.35"), "first rollout")
	setImage(t, c, "auto", "busybox:broken", "break it")
	waitLong(t, 30*time.Second, func() bool {
		d, err := c.Client.AppsV1().Deployments("default").Get(ctx, "auto", metav1.GetOptions{})
		return err == nil && d.Annotations[deploymentctrl.RolledBackFromAnnotation] == "2"
	}, "automatic rollback of revision 2")
	waitLong(t, 30*time.Second, deploymentDone(t, c, "auto", "busybox:1.35"), "rollout of the rolled-back template")
	evs, err := c.Client.CoreV1().Events("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range evs.Items {
		if e.Reason == deploymentctrl.ReasonAutoRollback && e.Type == corev1.EventTypeWarning {
			found = strings.Contains(e.Message, "from revision 2 to revision 1")
		}
	}
	if !found {
		t.Error("no AutoRollback event naming revisions 2 and 1")
	}
	// Once rolled back it stays: no second rollback, template unchanged.
	time.Sleep(3 * time.Second)
	cur, err := c.Client.AppsV1().Deployments("default").Get(ctx, "auto", metav1.GetOptions{})
	if err != nil || cur.Spec.Template.Spec.Containers[0].Image != "busybox:1.35" {
		t.Errorf("after rollback: %v, image %s", err, cur.Spec.Template.Spec.Containers[0].Image)
	}
}
