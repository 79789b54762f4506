package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/agent"
	"github.com/skiff-sh/skiff/internal/testcluster"
)

// startStatusCluster starts a cluster and a node, and makes a namespace
// with its default ServiceAccount (pods mount its token).
func startStatusCluster(t *testing.T, ns string, configure func(*agent.Config)) *testcluster.Cluster {
	t.Helper()
	requireNode(t)
	c := testcluster.Start(t)
	startNodeWith(t, c, "e2e-node", configure)
	createNamespace(t, c, ns)
	return c
}

func TestVolumeUpdate(t *testing.T) {
	const ns = "e2e-volupdate"
	c := startStatusCluster(t, ns, func(cfg *agent.Config) { cfg.VolumeResyncPeriod = 2 * time.Second })
	ctx := context.Background()
	cms := c.Client.CoreV1().ConfigMaps(ns)
	cm, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg"}, Data: map[string]string{"k": "v1"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The container fails at once unless it starts with v1; it is ready
	// once the kubelet has written v2 into the running pod's volume.
	pod := makePod("watcher", corev1.RestartPolicyNever, "sh", "-c", "grep -qx v1 /cfg/k || exit 3; sleep 3600")
	pod.Spec.Volumes = []corev1.Volume{{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}}}}
	main := &pod.Spec.Containers[0]
	main.VolumeMounts = []corev1.VolumeMount{{Name: "cfg", MountPath: "/cfg"}}
	main.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"grep", "-qx", "v2", "/cfg/k"}}}, PeriodSeconds: 1}
	pod = create(t, c.Client.CoreV1().Pods(ns), pod)
	waitPod(t, c.Client, pod, 60*time.Second, "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })

	start := time.Now()
	cm.Data["k"] = "v2"
	if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPod(t, c.Client, pod, 60*time.Second, "Ready with the new ConfigMap value", podReady)
	t.Logf("ConfigMap update seen in the pod after %s (resync period 2s)", time.Since(start).Round(time.Millisecond))
	p, err := c.Client.CoreV1().Pods(ns).Get(ctx, pod.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cs := p.Status.ContainerStatuses; len(cs) != 1 || cs[0].RestartCount != 0 || cs[0].State.Running == nil {
		t.Errorf("the container must have kept running: %+v", cs)
	}
}

func TestKubeletStatus(t *testing.T) {
	const ns = "e2e-status"
	c := startStatusCluster(t, ns, nil)
	pods := c.Client.CoreV1().Pods(ns)

	t.Run("OOMKilled", func(t *testing.T) {
		pod := makePod("hog", corev1.RestartPolicyNever, "sh", "-c", `x=$(head -c 200000000 /dev/zero | tr "\0" a); sleep 1`)
		pod.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("32Mi")}
		pod = create(t, pods, pod)
		var term *corev1.ContainerStateTerminated
		waitPod(t, c.Client, pod, 60*time.Second, "terminated", func(p *corev1.Pod) bool {
			if cs := p.Status.ContainerStatuses; len(cs) == 1 {
				term = cs[0].State.Terminated
			}
			return term != nil
		})
		if term.Reason != "OOMKilled" || term.ExitCode != 137 {
			t.Errorf("terminated with reason %q, exit code %d; want OOMKilled, 137", term.Reason, term.ExitCode)
		}
		waitPod(t, c.Client, pod, 30*time.Second, "Failed", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodFailed })
	})

	t.Run("ErrImagePull then ImagePullBackOff", func(t *testing.T) {
		// A registry on a closed loopback port: the pull is refused
		// without any traffic leaving the machine (no DNS either).
		const image = "127.0.0.1:1/nope:1"
		pod := makePod("nopull", corev1.RestartPolicyAlways, "sleep", "3600")
		pod.Spec.Containers[0].Image = image
		pod.Spec.Containers[0].ImagePullPolicy = corev1.PullAlways
		// Watch, not poll: ErrImagePull may be replaced within
		// milliseconds by ImagePullBackOff.
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		watch, err := pods.Watch(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer watch.Stop()
		start := time.Now()
		pod = create(t, pods, pod)
		var seen []string // distinct waiting reasons, in order
		for !slices.Contains(seen, "ImagePullBackOff") {
			ev, ok := <-watch.ResultChan()
			if !ok {
				t.Fatalf("no ImagePullBackOff within 90s; waiting reasons seen: %v", seen)
			}
			p, ok := ev.Object.(*corev1.Pod)
			if !ok || p.Name != pod.Name || len(p.Status.ContainerStatuses) != 1 || p.Status.ContainerStatuses[0].State.Waiting == nil {
				continue
			}
			if r := p.Status.ContainerStatuses[0].State.Waiting.Reason; len(seen) == 0 || seen[len(seen)-1] != r {
				seen = append(seen, r)
			}
		}
		t.Logf("waiting reasons %v; ImagePullBackOff %s after creation", seen, time.Since(start).Round(time.Millisecond))
		if i := slices.Index(seen, "ErrImagePull"); i < 0 || i > slices.Index(seen, "ImagePullBackOff") {
			t.Errorf("waiting reasons %v: want ErrImagePull before ImagePullBackOff", seen)
		}
		want := map[string]string{
			"Failed":  `Failed to pull image "` + image + `"`,
			"BackOff": `Back-off pulling image "` + image + `"`,
		}
		waitFor(t, 30*time.Second, "events Failed and BackOff", func() (bool, error) {
			evs, err := c.Client.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{})
			if err != nil {
				return false, err
			}
			found := map[string]bool{}
			for _, e := range evs.Items {
				if prefix, ok := want[e.Reason]; ok && e.InvolvedObject.Name == pod.Name && strings.HasPrefix(e.Message, prefix) {
					found[e.Reason] = true
				}
			}
			return len(found) == len(want), nil
		})
		p, err := pods.Get(context.Background(), pod.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Status.Phase != corev1.PodPending {
			t.Errorf("phase %s, want Pending", p.Status.Phase)
		}
	})
}
