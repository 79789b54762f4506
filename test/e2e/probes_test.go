package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/skiff-sh/skiff/internal/testcluster"
)

// serveForever keeps a shell as PID 1 that exits on SIGTERM, so pods stop
// at once.
const serveForever = "trap exit TERM; sleep 3600 & wait"

// TestPodFeatures runs probes, lifecycle hooks, env and volumes on one
// agent. All pods are created first and then checked, so their starts
// overlap. Only the httpGet probe sends traffic: from the host to a pod
// on the test's own bridge, behind the postrouting guard.
func TestPodFeatures(t *testing.T) {
	requireNode(t)
	installTrafficGuard(t)
	c := testcluster.Start(t)
	startNode(t, c, "e2e-node")
	ctx := context.Background()
	ns := "e2e-features"
	createNamespace(t, c, ns)
	if _, err := c.Client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg"}, Data: map[string]string{"key": "v", "greeting": "hello"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Client.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "sec"}, Data: map[string][]byte{"pw": []byte("s3cret")}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := c.Client.CoreV1().Pods(ns)
	made := map[string]*corev1.Pod{}
	for _, p := range []*corev1.Pod{readinessPod(), livenessPod(), httpPod(), postStartPod(), envPod(), tokenPod()} {
		p.Namespace = ns
		made[p.Name] = create(t, pods, p)
	}

	t.Run("exec readiness flips Ready when the file appears", func(t *testing.T) {
		sawUnready := false
		waitPod(t, c.Client, made["ready-exec"], 60*time.Second, "Ready after being Running and unready", func(p *corev1.Pod) bool {
			if p.Status.Phase == corev1.PodRunning && !podReady(p) {
				sawUnready = true
			}
			return podReady(p) && containersReady(p)
		})
		if !sawUnready {
			t.Error("never saw the pod Running but unready")
		}
	})

	t.Run("liveness exec failure restarts the container", func(t *testing.T) {
		pod := made["live-exec"]
		waitPod(t, c.Client, pod, 60*time.Second, "restarted", func(p *corev1.Pod) bool {
			cs := p.Status.ContainerStatuses
			return len(cs) == 1 && cs[0].RestartCount >= 1
		})
		waitFor(t, 20*time.Second, "Unhealthy and Killing events", func() (bool, error) {
			evs, err := c.Client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return false, err
			}
			var unhealthy, killing bool
			for _, e := range evs.Items {
				if e.InvolvedObject.UID != pod.UID {
					continue
				}
				unhealthy = unhealthy || (e.Reason == "Unhealthy" && strings.HasPrefix(e.Message, "Liveness probe failed: "))
				killing = killing || (e.Reason == "Killing" && e.Message == "Container main failed liveness probe, will be restarted")
			}
			return unhealthy && killing, nil
		})
	})

	t.Run("httpGet readiness against httpd in the pod", func(t *testing.T) {
		waitPod(t, c.Client, made["ready-http"], 60*time.Second, "Ready", podReady)
	})

	t.Run("postStart hook writes the file readiness checks", func(t *testing.T) {
		waitPod(t, c.Client, made["post-start"], 60*time.Second, "Ready", podReady)
	})

	t.Run("env from ConfigMap, Secret, fieldRef; configMap, secret, emptyDir and downwardAPI volumes", func(t *testing.T) {
		waitPod(t, c.Client, made["env-vols"], 60*time.Second, "Running and Ready (its command checks everything)", func(p *corev1.Pod) bool {
			return p.Status.Phase == corev1.PodRunning && podReady(p)
		})
	})

	t.Run("projected service-account token, CA and namespace", func(t *testing.T) {
		waitPod(t, c.Client, made["sa-token"], 60*time.Second, "Ready (its probe checks the files)", podReady)
	})
}

// installTrafficGuard drops, in the postrouting hook, traffic to the
// e2e pod range and the test cluster's service range on any interface
// but the e2e bridge and loopback, so a missing route can never send
// test traffic off the machine.
func installTrafficGuard(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("e2e: nft not on PATH; run scripts/install-deps.sh")
	}
	const table = "skiff_e2e_guard"
	rules := fmt.Sprintf(`table inet %[1]s {
	chain postrouting {
		type filter hook postrouting priority 0; policy accept;
		oifname != { "%[2]s", "lo" } ip daddr { %[3]s, 10.43.0.0/16 } drop
	}
}
`, table, e2eBridge, e2ePodCIDR)
	cmd := exec.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("install traffic guard: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("nft", "delete", "table", "inet", table).Run() })
}

func containersReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.ContainersReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func execProbe(cmd string) *corev1.Probe {
	return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"sh", "-c", cmd}}}, PeriodSeconds: 1, TimeoutSeconds: 2}
}

func readinessPod() *corev1.Pod {
	p := makePod("ready-exec", corev1.RestartPolicyAlways, "sh", "-c", "trap exit TERM; sleep 3; echo > /tmp/ready; sleep 3600 & wait")
	p.Spec.Containers[0].ReadinessProbe = execProbe("cat /tmp/ready")
	return p
}

func livenessPod() *corev1.Pod {
	p := makePod("live-exec", corev1.RestartPolicyAlways, "sh", "-c", serveForever)
	live := execProbe("cat /tmp/never")
	live.FailureThreshold = 2
	p.Spec.Containers[0].LivenessProbe = live
	return p
}

func httpPod() *corev1.Pod {
	p := makePod("ready-http", corev1.RestartPolicyAlways, "sh", "-c", "trap exit TERM; echo ok > /tmp/ok.txt; httpd -f -p 8080 -h /tmp & wait")
	p.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "web", ContainerPort: 8080}}
	p.Spec.Containers[0].ReadinessProbe = &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
			Path: "/ok.txt", Port: intstr.FromString("web"), HTTPHeaders: []corev1.HTTPHeader{{Name: "X-E2E", Value: "1"}},
		}},
		PeriodSeconds: 1, TimeoutSeconds: 2,
	}
	return p
}

func postStartPod() *corev1.Pod {
	p := makePod("post-start", corev1.RestartPolicyAlways, "sh", "-c", serveForever)
	p.Spec.Containers[0].Lifecycle = &corev1.Lifecycle{PostStart: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"sh", "-c", "echo hi > /tmp/post-start"}}}}
	p.Spec.Containers[0].ReadinessProbe = execProbe("cat /tmp/post-start")
	return p
}

// envPod's command exits (and the pod fails: restartPolicy Never) unless
// every variable and file is as expected.
func envPod() *corev1.Pod {
	checks := []string{
		`test "$X" = v`, `test "$POD" = env-vols`, `test "$Y" = v-x`, `test "$CM_greeting" = hello`, `test "$PW" = s3cret`,
		`test "$(cat /etc/cfg/greeting)" = hello`, `test "$(cat /etc/sec/password)" = s3cret`,
		`test "$(cat /etc/info/name)" = env-vols`, `test "$(cat /etc/info/labels)" = 'app="e2e"'`,
		`echo x > /scratch/f`, `test "$(cat /scratch/f)" = x`,
	}
	p := makePod("env-vols", corev1.RestartPolicyNever, "sh", "-c", strings.Join(checks, " && ")+" && "+serveForever)
	p.Labels = map[string]string{"app": "e2e"}
	mode := int32(0o400)
	p.Spec.Volumes = []corev1.Volume{
		{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}}},
		{Name: "sec", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "sec", Items: []corev1.KeyToPath{{Key: "pw", Path: "password", Mode: &mode}}}}},
		{Name: "info", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{
			{Path: "name", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}},
			{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}},
		}}}},
		{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}},
	}
	c := &p.Spec.Containers[0]
	c.VolumeMounts = []corev1.VolumeMount{{Name: "cfg", MountPath: "/etc/cfg"}, {Name: "sec", MountPath: "/etc/sec"}, {Name: "info", MountPath: "/etc/info"}, {Name: "scratch", MountPath: "/scratch"}}
	c.EnvFrom = []corev1.EnvFromSource{{Prefix: "CM_", ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}}}
	c.Env = []corev1.EnvVar{
		{Name: "X", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Key: "key"}}},
		{Name: "PW", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "sec"}, Key: "pw"}}},
		{Name: "POD", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
		{Name: "Y", Value: "$(X)-x"},
	}
	return p
}

func tokenPod() *corev1.Pod {
	const dir = "/var/run/secrets/kubernetes.io/serviceaccount"
	p := makePod("sa-token", corev1.RestartPolicyAlways, "sh", "-c", serveForever)
	p.Spec.ServiceAccountName = "default" // the test API server does not default it
	exp := int64(3607)
	p.Spec.Volumes = []corev1.Volume{{Name: "kube-api-access", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
		{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: &exp}},
		{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"}, Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
		{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "namespace", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}}},
	}}}}}
	c := &p.Spec.Containers[0]
	c.VolumeMounts = []corev1.VolumeMount{{Name: "kube-api-access", MountPath: dir, ReadOnly: true}}
	c.ReadinessProbe = execProbe(fmt.Sprintf(`test -s %[1]s/token && test -s %[1]s/ca.crt && test "$(cat %[1]s/namespace)" = e2e-features`, dir))
	return p
}
