package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/skiff-sh/skiff/internal/testcluster"
)

// goldenFixture adds to printerFixture what the scenario's tables and
// descriptions show: a completed and a crash-looping pod, the web
// deployment's ReplicaSet and rolled-out status, and events.
func goldenFixture(t *testing.T, c *testcluster.Cluster) {
	t.Helper()
	cs := c.Client
	printerFixture(t, cs)
	ctx := context.Background()
	withCapacity(t, cs, "node-1")
	renewLease(t, c, "node-1")
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	setPodStatus := func(name string, st corev1.PodStatus) {
		t.Helper()
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "demo", Labels: map[string]string{"app": name}},
			Spec:       corev1.PodSpec{NodeName: "node-2", Containers: []corev1.Container{{Name: "main", Image: "busybox:1.35"}}},
		}
		p, err := cs.CoreV1().Pods("demo").Create(ctx, p, metav1.CreateOptions{})
		check(err)
		p.Status = st
		_, err = cs.CoreV1().Pods("demo").UpdateStatus(ctx, p, metav1.UpdateOptions{})
		check(err)
	}
	setPodStatus("done", corev1.PodStatus{Phase: corev1.PodSucceeded, ContainerStatuses: []corev1.ContainerStatus{{
		Name: "main", Image: "busybox:1.35",
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed"}},
	}}})
	setPodStatus("crash", corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{
		Name: "main", Image: "busybox:1.35", RestartCount: 5,
		State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 5m0s restarting failed container"}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 2, Reason: "Error", FinishedAt: metav1.NewTime(time.Now().Add(-time.Minute))}},
	}}})

	dep, err := cs.AppsV1().Deployments("demo").Get(ctx, "web", metav1.GetOptions{})
	check(err)
	dep.Status = appsv1.DeploymentStatus{
		ObservedGeneration: dep.Generation, Replicas: 2, UpdatedReplicas: 2, ReadyReplicas: 2, AvailableReplicas: 2,
		Conditions: []appsv1.DeploymentCondition{
			{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable", Message: "Deployment has minimum availability."},
			{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable", Message: `ReplicaSet "web-7b9c6d5f8" has successfully progressed.`},
		},
	}
	_, err = cs.AppsV1().Deployments("demo").UpdateStatus(ctx, dep, metav1.UpdateOptions{})
	check(err)
	rs := ownedReplicaSet(dep, "7b9c6d5f8")
	rs, err = cs.AppsV1().ReplicaSets("demo").Create(ctx, rs, metav1.CreateOptions{})
	check(err)
	rs.Status = appsv1.ReplicaSetStatus{Replicas: 2, FullyLabeledReplicas: 2, ReadyReplicas: 2, AvailableReplicas: 2, ObservedGeneration: rs.Generation}
	_, err = cs.AppsV1().ReplicaSets("demo").UpdateStatus(ctx, rs, metav1.UpdateOptions{})
	check(err)

	for _, e := range []struct{ kind, ns, name, reason, from, msg string }{
		{"Pod", "demo", "web-1", "Scheduled", "default-scheduler", "Successfully assigned demo/web-1 to node-1"},
		{"Node", "", "node-1", "NodeReady", "kubelet", "Node node-1 status is now: NodeReady"},
		{"Deployment", "demo", "web", "ScalingReplicaSet", "deployment-controller", "Scaled up replica set web-7b9c6d5f8 from 0 to 2"},
		{"ReplicaSet", "demo", "web-7b9c6d5f8", "SuccessfulCreate", "replicaset-controller", "Created pod: web-7b9c6d5f8-x2x7q"},
	} {
		check(recordEvent(ctx, cs, e.kind, e.ns, e.name, e.reason, e.from, e.msg))
	}
}

// withCapacity gives a node the capacity a kubelet reports, which
// describe's percentages divide by.
func withCapacity(t *testing.T, cs kubernetes.Interface, name string) {
	t.Helper()
	ctx := context.Background()
	n, err := cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Status.Capacity = corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi"),
		corev1.ResourcePods: resource.MustParse("110"), corev1.ResourceEphemeralStorage: resource.MustParse("50Gi"),
	}
	n.Status.Allocatable = n.Status.Capacity
	if _, err := cs.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// ownedReplicaSet is the ReplicaSet the deployment controller would make
// of dep's template under the given pod-template-hash.
func ownedReplicaSet(dep *appsv1.Deployment, hash string) *appsv1.ReplicaSet {
	labels := map[string]string{"pod-template-hash": hash}
	for k, v := range dep.Spec.Template.Labels {
		labels[k] = v
	}
	tmpl := *dep.Spec.Template.DeepCopy()
	tmpl.Labels = labels
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: dep.Name + "-" + hash, Namespace: dep.Namespace, Labels: labels,
			Annotations:     map[string]string{"deployment.kubernetes.io/revision": "1"},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(dep, appsv1.SchemeGroupVersion.WithKind("Deployment"))},
		},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To(*dep.Spec.Replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: tmpl,
		},
	}
}

// recordEvent posts a core/v1 Event about an object, as a component's
// event recorder would.
func recordEvent(ctx context.Context, cs kubernetes.Interface, kind, ns, name, reason, from, msg string) error {
	ref := corev1.ObjectReference{Kind: kind, Namespace: ns, Name: name}
	switch kind {
	case "Node":
		n, err := cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		ref.UID, ref.APIVersion = n.UID, "v1"
	case "Pod":
		p, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		ref.UID, ref.APIVersion = p.UID, "v1"
	case "Deployment":
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		ref.UID, ref.APIVersion = d.UID, "apps/v1"
	case "ReplicaSet":
		r, err := cs.AppsV1().ReplicaSets(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		ref.UID, ref.APIVersion = r.UID, "apps/v1"
	}
	evNS := ns
	if evNS == "" {
		evNS = metav1.NamespaceDefault
	}
	now := metav1.Now()
	_, err := cs.CoreV1().Events(evNS).Create(ctx, &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: name + "." + strings.ToLower(reason), Namespace: evNS},
		InvolvedObject: ref, Reason: reason, Message: msg, Type: corev1.EventTypeNormal,
		Source: corev1.EventSource{Component: from}, FirstTimestamp: now, LastTimestamp: now, Count: 1,
	}, metav1.CreateOptions{})
	return err
}
