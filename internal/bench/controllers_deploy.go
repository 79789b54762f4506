package bench

import (
	"context"
	"fmt"
	"io"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

const (
	benchDeployment = "bench"
	benchImage      = "registry.k8s.io/pause:3.10"
	// rolloutImage is what the rolling update changes the template to.
	rolloutImage = "registry.k8s.io/pause:3.9"
)

// stallLimit is how long a wait goes on without any status change.
const stallLimit = 2 * time.Minute

func newBenchDeployment(replicas int) *appsv1.Deployment {
	r := int32(replicas)
	quarter := intstr.FromString("25%")
	labels := map[string]string{"app": benchDeployment}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: benchDeployment, Namespace: metav1.NamespaceDefault},
		Spec: appsv1.DeploymentSpec{
			Replicas: &r,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &quarter, MaxUnavailable: &quarter}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: benchImage}}},
			},
		},
	}
}

// rolledOut is the Deployment reporting every replica updated and
// available with no old ones left, for its current generation.
func rolledOut(d *appsv1.Deployment) bool {
	want := *d.Spec.Replicas
	s := d.Status
	return s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == want &&
		s.AvailableReplicas == want && s.Replicas == want
}

// poll calls check every interval until it reports done, printing its
// progress line every 5 s; it fails once the line has not changed for
// stallLimit.
func poll(ctx context.Context, interval time.Duration, out io.Writer, check func() (bool, string, error)) error {
	last := ""
	changed, printed := time.Now(), time.Now()
	for {
		done, line, err := check()
		if err != nil || done {
			return err
		}
		if line != last {
			last, changed = line, time.Now()
		}
		if time.Since(changed) > stallLimit {
			return fmt.Errorf("no progress for %s: %s", stallLimit, line)
		}
		if time.Since(printed) >= 5*time.Second {
			fmt.Fprintf(out, "      %s\n", line)
			printed = time.Now()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}

// waitDeployment polls the Deployment every 200 ms until done says so.
func waitDeployment(ctx context.Context, client kubernetes.Interface, phase string, out io.Writer, done func(*appsv1.Deployment) bool) error {
	return poll(ctx, 200*time.Millisecond, out, func() (bool, string, error) {
		d, err := client.AppsV1().Deployments(metav1.NamespaceDefault).Get(ctx, benchDeployment, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		return done(d), phase + ": " + statusLine(d), nil
	})
}

func statusLine(d *appsv1.Deployment) string {
	s := d.Status
	return fmt.Sprintf("%d/%d available, %d updated, %d total", s.AvailableReplicas, *d.Spec.Replicas, s.UpdatedReplicas, s.Replicas)
}

// countPods returns the Deployment's pods and how many of them run
// another image than want.
func countPods(ctx context.Context, client kubernetes.Interface, want string) (total, other int, err error) {
	pods, err := client.CoreV1().Pods(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{LabelSelector: "app=" + benchDeployment})
	if err != nil {
		return 0, 0, err
	}
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		total++
		if p.Spec.Containers[0].Image != want {
			other++
		}
	}
	return total, other, nil
}

// waitNodesReady waits until n nodes report Ready.
func waitNodesReady(ctx context.Context, client kubernetes.Interface, n int, out io.Writer) error {
	return poll(ctx, 500*time.Millisecond, out, func() (bool, string, error) {
		nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{ResourceVersion: "0"})
		if err != nil {
			return false, "", err
		}
		ready := 0
		for _, node := range nodes.Items {
			for _, c := range node.Status.Conditions {
				if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
					ready++
				}
			}
		}
		return ready >= n, fmt.Sprintf("%d/%d nodes ready", ready, n), nil
	})
}
