package printers

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/skiff-sh/skiff/internal/registry"
)

// Kubernetes prints these with the default Name and Created At columns.
// Kinds Kubernetes prints with NAME and CREATED AT only.
var defaultPrinted = map[string]bool{"Role": true, "ClusterRole": true, "LimitRange": true, "CustomResourceDefinition": true}

func TestEveryServedKindHasColumns(t *testing.T) {
	for _, res := range registry.Builtin() {
		gvk := res.GVK()
		columns, row, ok := For(gvk)
		if ok == defaultPrinted[gvk.Kind] {
			t.Errorf("%s: printer found = %v", gvk, ok)
		}
		if !ok {
			continue
		}
		obj, err := testScheme.New(gvk)
		if err != nil {
			t.Fatal(err)
		}
		cells, err := row(obj, now)
		if err != nil {
			t.Fatalf("%s: %v", gvk, err)
		}
		if len(cells) != len(columns) {
			t.Errorf("%s: %d cells for %d columns", gvk, len(cells), len(columns))
		}
		for i, c := range cells {
			if want := cellKinds[columns[i].Type]; !want[reflect.TypeOf(c).Kind()] {
				t.Errorf("%s column %q (%s): cell %#v", gvk, columns[i].Name, columns[i].Type, c)
			}
		}
	}
}

// cellKinds are the Go kinds each column type may carry; Kubernetes puts
// strings in some "integer" and "boolean" columns ("<unset>").
var cellKinds = map[string]map[reflect.Kind]bool{
	"string":  {reflect.String: true, reflect.Int64: true, reflect.Bool: true},
	"integer": {reflect.Int64: true, reflect.String: true},
	"boolean": {reflect.Bool: true, reflect.String: true},
}

func TestWrongTypeIsAnError(t *testing.T) {
	_, row, _ := For(corev1.SchemeGroupVersion.WithKind("Pod"))
	if _, err := row(&corev1.Node{}, now); err == nil {
		t.Error("printing a Node as a Pod succeeded")
	}
}

func cells(t *testing.T, obj runtime.Object) []any {
	t.Helper()
	gvks, _, err := testScheme.ObjectKinds(obj)
	if err != nil {
		t.Fatal(err)
	}
	_, row, _ := For(gvks[0])
	c, err := row(obj, now)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestService(t *testing.T) {
	svc := func(typ corev1.ServiceType, mutate func(*corev1.Service)) *corev1.Service {
		s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", CreationTimestamp: ago(90 * time.Second)}}
		s.Spec.Type, s.Spec.ClusterIPs = typ, []string{"10.43.0.10"}
		s.Spec.Ports = []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}}
		mutate(s)
		return s
	}
	tests := []struct {
		name string
		svc  *corev1.Service
		want []any
	}{
		{"cluster IP", svc(corev1.ServiceTypeClusterIP, func(s *corev1.Service) { s.Spec.Selector = map[string]string{"app": "web"} }),
			[]any{"web", "ClusterIP", "10.43.0.10", "<none>", "80/TCP", "90s", "app=web"}},
		{"headless without ports", svc(corev1.ServiceTypeClusterIP, func(s *corev1.Service) { s.Spec.ClusterIPs, s.Spec.Ports = []string{"None"}, nil }),
			[]any{"web", "ClusterIP", "None", "<none>", "<none>", "90s", "<none>"}},
		{"node port", svc(corev1.ServiceTypeNodePort, func(s *corev1.Service) {
			s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Port: 53, NodePort: 30053, Protocol: corev1.ProtocolUDP})
			s.Spec.Ports[0].NodePort = 30080
			s.Spec.ExternalIPs = []string{"1.2.3.4"}
		}), []any{"web", "NodePort", "10.43.0.10", "1.2.3.4", "80:30080/TCP,53:30053/UDP", "90s", "<none>"}},
		{"load balancer pending", svc(corev1.ServiceTypeLoadBalancer, func(*corev1.Service) {}),
			[]any{"web", "LoadBalancer", "10.43.0.10", "<pending>", "80/TCP", "90s", "<none>"}},
		{"load balancer", svc(corev1.ServiceTypeLoadBalancer, func(s *corev1.Service) {
			s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "5.6.7.8"}, {Hostname: "lb.example.com"}, {IP: "5.6.7.8"}}
		}), []any{"web", "LoadBalancer", "10.43.0.10", "5.6.7.8,lb.example.com", "80/TCP", "90s", "<none>"}},
		{"external name", svc(corev1.ServiceTypeExternalName, func(s *corev1.Service) { s.Spec.ClusterIPs, s.Spec.ExternalName = nil, "db.example.com" }),
			[]any{"web", "ExternalName", "<none>", "db.example.com", "80/TCP", "90s", "<none>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, cells(t, tt.svc)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNode(t *testing.T) {
	node := func(mutate func(*corev1.Node)) *corev1.Node {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", CreationTimestamp: ago(49 * time.Hour)}}
		n.Status.NodeInfo.KubeletVersion = "v1.32.0"
		mutate(n)
		return n
	}
	ready := func(s corev1.ConditionStatus) []corev1.NodeCondition {
		return []corev1.NodeCondition{{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse}, {Type: corev1.NodeReady, Status: s}}
	}
	tests := []struct {
		name string
		node *corev1.Node
		want []any // STATUS, ROLES
	}{
		{"no conditions", node(func(*corev1.Node) {}), []any{"Unknown", "<none>"}},
		{"ready", node(func(n *corev1.Node) { n.Status.Conditions = ready(corev1.ConditionTrue) }), []any{"Ready", "<none>"}},
		{"not ready", node(func(n *corev1.Node) { n.Status.Conditions = ready(corev1.ConditionUnknown) }), []any{"NotReady", "<none>"}},
		{"cordoned with roles", node(func(n *corev1.Node) {
			n.Status.Conditions, n.Spec.Unschedulable = ready(corev1.ConditionTrue), true
			n.Labels = map[string]string{"node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/etcd": "true", "kubernetes.io/role": "master", "node-role.kubernetes.io/": "x"}
		}), []any{"Ready,SchedulingDisabled", "control-plane,etcd,master"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, cells(t, tt.node)[1:3]); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	n := node(func(n *corev1.Node) {
		n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: "n1"}, {Type: corev1.NodeInternalIP, Address: "10.0.0.1"}}
		n.Status.NodeInfo.OSImage = "Debian"
	})
	if diff := cmp.Diff([]any{"2d1h", "v1.32.0", "10.0.0.1", "<none>", "Debian", "<unknown>", "<unknown>"}, cells(t, n)[3:]); diff != "" {
		t.Errorf("AGE, VERSION and wide cells (-want +got):\n%s", diff)
	}
}

func TestDeployment(t *testing.T) {
	three := int32(3)
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", CreationTimestamp: ago(3 * 24 * time.Hour)}}
	d.Spec.Replicas = &three
	d.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	d.Spec.Template.Spec.Containers = []corev1.Container{{Name: "web", Image: "nginx:1"}, {Name: "log", Image: "busybox"}}
	d.Status = appsv1.DeploymentStatus{ReadyReplicas: 2, UpdatedReplicas: 3, AvailableReplicas: 2}
	want := []any{"web", "2/3", int64(3), int64(2), "3d", "web,log", "nginx:1,busybox", "app=web"}
	if diff := cmp.Diff(want, cells(t, d)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestPodTemplate(t *testing.T) {
	pt := &corev1.PodTemplate{ObjectMeta: metav1.ObjectMeta{Name: "tpl"}}
	pt.Template.Labels = map[string]string{"app": "web"}
	pt.Template.Spec.Containers = []corev1.Container{{Name: "web", Image: "nginx:1"}}
	want := []any{"tpl", "web", "nginx:1", "app=web"}
	if diff := cmp.Diff(want, cells(t, pt)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestEvent(t *testing.T) {
	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "web.1"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web", FieldPath: "spec.containers{web}"},
		Type:           "Normal", Reason: "Pulled", Message: "pulled\n",
		Source:         corev1.EventSource{Component: "kubelet", Host: "n1"},
		FirstTimestamp: ago(time.Hour), LastTimestamp: ago(time.Minute), Count: 4,
	}
	want := []any{"60s", "Normal", "Pulled", "pod/web", "spec.containers{web}", "kubelet, n1", "pulled", "60m", int64(4), "web.1"}
	if diff := cmp.Diff(want, cells(t, ev)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
