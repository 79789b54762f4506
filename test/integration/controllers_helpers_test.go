package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
)

// waitLong polls cond every 100 ms for up to d.
func waitLong(t *testing.T, d time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// listPods lists the pods of ns matching sel (a label selector string).
func listPods(t *testing.T, client kubernetes.Interface, ns, sel string) []corev1.Pod {
	t.Helper()
	l, err := client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		t.Fatal(err)
	}
	return l.Items
}

// activePods counts pods not being deleted.
func activePods(pods []corev1.Pod) int {
	n := 0
	for _, p := range pods {
		if p.DeletionTimestamp == nil {
			n++
		}
	}
	return n
}

// markRunning plays scheduler and kubelet for one pod: binds it to
// node-1, sets phase Running with a pod IP, and Ready as given.
func markRunning(ctx context.Context, client kubernetes.Interface, pod *corev1.Pod, ip string, ready bool) error {
	if pod.Spec.NodeName == "" {
		p := pod.DeepCopy()
		p.Spec.NodeName = "node-1"
		b := &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace}, Target: corev1.ObjectReference{Kind: "Node", Name: "node-1"}}
		if err := client.CoreV1().Pods(p.Namespace).Bind(ctx, b, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("bind %s: %w", p.Name, err)
		}
		fresh, err := client.CoreV1().Pods(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		pod = fresh
	}
	p := pod.DeepCopy()
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	p.Status.Phase = corev1.PodRunning
	p.Status.PodIP = ip
	p.Status.PodIPs = []corev1.PodIP{{IP: ip}}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status, LastTransitionTime: metav1.Now()}}
	_, err := client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
	return err
}

// kubelet marks every pending pod matching sel running and ready (or
// not, when ready says so) and removes terminating ones, until ctx ends:
// a stand-in for scheduler and kubelet in controller tests.
func kubelet(ctx context.Context, t *testing.T, client kubernetes.Interface, ns string, sel labels.Selector, ready func(*corev1.Pod) bool) {
	next := 1
	for ctx.Err() == nil {
		l, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
		if err == nil {
			for i := range l.Items {
				p := &l.Items[i]
				if p.DeletionTimestamp != nil {
					// The kubelet confirms a graceful deletion.
					zero := int64(0)
					_ = client.CoreV1().Pods(ns).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
					continue
				}
				if p.Status.Phase == corev1.PodRunning {
					continue
				}
				ip := fmt.Sprintf("10.42.%d.%d", next/250, next%250+1)
				next++
				if err := markRunning(ctx, client, p, ip, ready(p)); err != nil && ctx.Err() == nil {
					t.Logf("kubelet: %v", err)
				}
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}
