package integration

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/skiff-sh/skiff/internal/testcluster"
)

// printerFixture creates, through client-go, the objects the kubectl
// printer tests read: two nodes, a running pod that restarted, a pod in
// its init container, a deployment and a node-port service in "demo".
func printerFixture(t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "demo"}}, metav1.CreateOptions{}))
	for _, n := range []*corev1.Node{
		{ObjectMeta: metav1.ObjectMeta{Name: "node-1", Labels: map[string]string{"node-role.kubernetes.io/control-plane": ""}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "node-2"}, Spec: corev1.NodeSpec{Unschedulable: true}},
	} {
		created, err := cs.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
		must(created, err)
		created.Status = corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()}},
			Addresses:  []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.0.0.1"}},
			NodeInfo:   corev1.NodeSystemInfo{KubeletVersion: "v1.32.0", OSImage: "Skiff OS"},
		}
		must(cs.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{}))
	}

	web := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "demo", Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{NodeName: "node-1", Containers: []corev1.Container{{Name: "web", Image: "busybox:1.35"}}},
	}
	created, err := cs.CoreV1().Pods("demo").Create(ctx, web, metav1.CreateOptions{})
	must(created, err)
	created.Status = corev1.PodStatus{
		Phase:      corev1.PodRunning,
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
		PodIP:      "10.42.0.5", PodIPs: []corev1.PodIP{{IP: "10.42.0.5"}},
		ContainerStatuses: []corev1.ContainerStatus{{
			Name: "web", Image: "busybox:1.35", Ready: true, RestartCount: 3,
			State:                corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, FinishedAt: metav1.NewTime(time.Now().Add(-15 * time.Minute))}},
		}},
	}
	must(cs.CoreV1().Pods("demo").UpdateStatus(ctx, created, metav1.UpdateOptions{}))

	initPod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "init-1", Namespace: "demo", Labels: map[string]string{"app": "batch"}},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "setup", Image: "busybox:1.35"}},
			Containers:     []corev1.Container{{Name: "main", Image: "busybox:1.35"}},
		},
	}
	must(cs.CoreV1().Pods("demo").Create(ctx, initPod, metav1.CreateOptions{}))

	replicas := int32(2)
	labels := map[string]string{"app": "web"}
	must(cs.AppsV1().Deployments("demo").Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "demo"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "busybox:1.35"}}},
			},
		},
	}, metav1.CreateOptions{}))
	must(cs.CoreV1().Services("demo").Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "demo"},
		Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeNodePort, Selector: labels,
			Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080), NodePort: 30080}},
		},
	}, metav1.CreateOptions{}))
}

// table splits kubectl's output into lines of whitespace-separated
// fields; cells holding spaces ("3 (5m ago)") span several fields.
func table(out string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		rows = append(rows, strings.Fields(line))
	}
	return rows
}

// expectRow checks that a line of out starts with the fields of want.
func expectRow(t *testing.T, what, out string, want ...string) {
	t.Helper()
	for _, row := range table(out) {
		if len(row) >= len(want) && strings.Join(row[:len(want)], " ") == strings.Join(want, " ") {
			return
		}
	}
	t.Errorf("%s: no line starting %q in\n%s", what, strings.Join(want, " "), out)
}

func TestPrinterKubectlGet(t *testing.T) {
	c := testcluster.Start(t)
	k := newKubectl(t, c)
	printerFixture(t, c.Client)

	out := k.must("get", "pods", "-n", "demo")
	expectRow(t, "get pods", out, "NAME", "READY", "STATUS", "RESTARTS", "AGE")
	expectRow(t, "get pods", out, "web-1", "1/1", "Running", "3", "(15m", "ago)")
	expectRow(t, "get pods", out, "init-1", "0/1", "Pending", "0")

	out = k.must("get", "pods", "-n", "demo", "-o", "wide")
	expectRow(t, "get pods -o wide", out, "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED", "NODE", "READINESS", "GATES")
	if row := findRow(out, "web-1"); len(row) != 11 || strings.Join(row[7:], " ") != "10.42.0.5 node-1 <none> <none>" {
		t.Errorf("get pods -o wide: web-1 row %q", row)
	}

	out = k.must("get", "deploy", "-n", "demo")
	expectRow(t, "get deploy", out, "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE")
	expectRow(t, "get deploy", out, "web", "0/2", "0", "0")
	out = k.must("get", "deploy", "-n", "demo", "-o", "wide")
	expectRow(t, "get deploy -o wide", out, "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR")
	if row := findRow(out, "web"); len(row) != 8 || strings.Join(row[5:], " ") != "web busybox:1.35 app=web" {
		t.Errorf("get deploy -o wide: row %q", row)
	}

	out = k.must("get", "svc", "web", "-n", "demo")
	expectRow(t, "get svc", out, "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE")
	if row := findRow(out, "web"); len(row) != 6 || row[1] != "NodePort" || !strings.HasPrefix(row[2], "10.43.") || row[3] != "<none>" || row[4] != "80:30080/TCP" {
		t.Errorf("get svc: row %q", row)
	}

	out = k.must("get", "nodes")
	expectRow(t, "get nodes", out, "NAME", "STATUS", "ROLES", "AGE", "VERSION")
	if row := findRow(out, "node-1"); len(row) != 5 || row[1] != "Ready" || row[2] != "control-plane" || row[4] != "v1.32.0" {
		t.Errorf("get nodes: node-1 row %q", row)
	}
	expectRow(t, "get nodes", out, "node-2", "Ready,SchedulingDisabled", "<none>")
	out = k.must("get", "nodes", "-o", "wide")
	expectRow(t, "get nodes -o wide", out, "NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME")

	out = k.must("get", "all", "-n", "demo")
	for _, want := range [][]string{
		{"NAME", "READY", "STATUS", "RESTARTS", "AGE"}, {"pod/web-1", "1/1", "Running"},
		{"NAME", "TYPE", "CLUSTER-IP"}, {"service/web", "NodePort"},
		{"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"}, {"deployment.apps/web", "0/2"},
	} {
		expectRow(t, "get all", out, want...)
	}

	out = k.must("get", "pods", "-n", "demo", "--show-labels")
	expectRow(t, "get pods --show-labels", out, "NAME", "READY", "STATUS", "RESTARTS", "AGE", "LABELS")
	if row := findRow(out, "web-1"); len(row) == 0 || row[len(row)-1] != "app=web" {
		t.Errorf("get pods --show-labels: web-1 row %q", row)
	}
	out = k.must("get", "pods", "-n", "demo", "-L", "app")
	expectRow(t, "get pods -L app", out, "NAME", "READY", "STATUS", "RESTARTS", "AGE", "APP")
	if row := findRow(out, "init-1"); len(row) == 0 || row[len(row)-1] != "batch" {
		t.Errorf("get pods -L app: init-1 row %q", row)
	}

	out = k.must("get", "ns")
	expectRow(t, "get ns", out, "NAME", "STATUS", "AGE")
	expectRow(t, "get ns", out, "demo", "Active")
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "reader", Namespace: "demo"}}
	if _, err := c.Client.RbacV1().Roles("demo").Create(context.Background(), role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	out = k.must("get", "roles", "-n", "demo")
	expectRow(t, "get roles (default columns)", out, "NAME", "CREATED", "AT")
	expectRow(t, "get roles (default columns)", out, "reader")
}

// findRow returns the fields of the first line whose first field is name.
func findRow(out, name string) []string {
	for _, row := range table(out) {
		if len(row) > 0 && row[0] == name {
			return row
		}
	}
	return nil
}

func TestPrinterKubectlWatch(t *testing.T) {
	c := testcluster.Start(t)
	k := newKubectl(t, c)
	printerFixture(t, c.Client)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "kubectl", "--kubeconfig", k.kubeconfig, "get", "pods", "-n", "demo", "-w")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "late", Namespace: "demo"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "a", Image: "busybox"}}}}
	if _, err := c.Client.CoreV1().Pods("demo").Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait() // ends when the context does
	expectRow(t, "get pods -w", out.String(), "NAME", "READY", "STATUS", "RESTARTS", "AGE")
	expectRow(t, "get pods -w", out.String(), "web-1", "1/1", "Running")
	expectRow(t, "get pods -w", out.String(), "late", "0/1", "Pending", "0")
}

func TestAPIResourcesDiscovery(t *testing.T) {
	c := testcluster.Start(t)
	k := newKubectl(t, c)
	out := k.must("api-resources")
	expectRow(t, "api-resources", out, "NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND")
	for _, want := range [][]string{
		{"deployments", "deploy", "apps/v1", "true", "Deployment"},
		{"namespaces", "ns", "v1", "false", "Namespace"},
		{"pods", "po", "v1", "true", "Pod"},
		{"events", "ev", "v1", "true", "Event"},
		{"events", "ev", "events.k8s.io/v1", "true", "Event"},
		{"secrets", "v1", "true", "Secret"},
		{"horizontalpodautoscalers", "hpa", "autoscaling/v2", "true", "HorizontalPodAutoscaler"},
		{"clusterroles", "rbac.authorization.k8s.io/v1", "false", "ClusterRole"},
	} {
		expectRow(t, "api-resources", out, want...)
	}
	out = k.must("api-resources", "-o", "wide")
	expectRow(t, "api-resources -o wide", out, "NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND", "VERBS", "CATEGORIES")
	expectRow(t, "api-resources -o wide", out, "namespaces", "ns", "v1", "false", "Namespace", "create,delete,get,list,patch,update,watch")
	expectRow(t, "api-resources -o wide", out, "pods", "po", "v1", "true", "Pod", "create,delete,deletecollection,get,list,patch,update,watch", "all")

	// With aggregated discovery kubectl reads /api and /apis and nothing
	// else; -v=6 logs each request.
	out = k.must("api-resources", "--cached=false", "-v=6")
	gets := 0
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(line, "GET https://") {
			continue
		}
		gets++
		if !strings.Contains(line, "/api?") && !strings.Contains(line, "/apis?") {
			t.Errorf("kubectl fell back to per-version discovery: %s", line)
		}
	}
	if gets == 0 {
		t.Errorf("no requests logged:\n%s", out)
	}
}
