package core

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/skiff-sh/skiff/internal/registry"
	"github.com/skiff-sh/skiff/internal/registry/rest"
)

var strategies = Strategies()

// create runs a create through the strategy as the store does.
func create(res string, obj runtime.Object) field.ErrorList {
	s := strategies[res]
	s.Default(obj)
	s.PrepareForCreate(obj)
	return s.Validate(obj)
}

// update runs a main-resource update through the strategy.
func update(res string, obj, old runtime.Object) field.ErrorList {
	s := strategies[res]
	s.Default(obj)
	s.PrepareForUpdate(obj, old)
	return s.ValidateUpdate(obj, old)
}

func statusUpdate(res string, obj, old runtime.Object) field.ErrorList {
	s := strategies[res].(rest.StatusStrategy)
	s.PrepareForStatusUpdate(obj, old)
	return s.ValidateStatusUpdate(obj, old)
}

func errSet(errs field.ErrorList) string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = string(e.Type) + " " + e.Field
	}
	return strings.Join(out, "\n")
}

func wantErrs(t *testing.T, errs field.ErrorList, want ...string) {
	t.Helper()
	if got := errSet(errs); got != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s\n(%v)", got, strings.Join(want, "\n"), errs)
	}
}

func om(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "default", ResourceVersion: "1", Generation: 1}
}

func TestEveryCoreResourceHasAStrategy(t *testing.T) {
	for _, r := range registry.Builtin() {
		if r.Group != "" {
			continue
		}
		t.Run(r.Resource, func(t *testing.T) {
			s, ok := strategies[r.Resource]
			if !ok {
				t.Fatal("no strategy")
			}
			if _, ok := s.(rest.StatusStrategy); r.HasSubresource("status") && !ok {
				t.Error("status subresource without StatusStrategy")
			}
			if fs, ok := s.(rest.FieldsStrategy); ok {
				obj, _ := newObject(r.Kind)
				set := fs.SelectableFields(obj)
				if _, ok := set["metadata.name"]; !ok {
					t.Error("no metadata.name field")
				}
				if _, ok := set["metadata.namespace"]; ok != r.Namespaced {
					t.Errorf("metadata.namespace present = %v, namespaced = %v", ok, r.Namespaced)
				}
			}
		})
	}
}

func newObject(kind string) (runtime.Object, bool) {
	objs := map[string]runtime.Object{
		"Namespace": &corev1.Namespace{}, "Pod": &corev1.Pod{}, "Service": &corev1.Service{}, "Endpoints": &corev1.Endpoints{},
		"Node": &corev1.Node{}, "ConfigMap": &corev1.ConfigMap{}, "Secret": &corev1.Secret{}, "ServiceAccount": &corev1.ServiceAccount{},
		"Event": &corev1.Event{}, "PersistentVolume": &corev1.PersistentVolume{}, "PersistentVolumeClaim": &corev1.PersistentVolumeClaim{},
		"ResourceQuota": &corev1.ResourceQuota{}, "LimitRange": &corev1.LimitRange{}, "ReplicationController": &corev1.ReplicationController{},
		"PodTemplate": &corev1.PodTemplate{},
	}
	o, ok := objs[kind]
	return o, ok
}

func TestNamespace(t *testing.T) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a", ResourceVersion: "1"}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}}
	wantErrs(t, create("namespaces", ns))
	if ns.Labels[corev1.LabelMetadataName] != "team-a" || ns.Status.Phase != corev1.NamespaceActive || len(ns.Spec.Finalizers) != 1 {
		t.Errorf("namespace not prepared: %+v", ns)
	}
	t.Run("name is a DNS label", func(t *testing.T) {
		wantErrs(t, create("namespaces", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a.b"}}), "FieldValueInvalid metadata.name")
	})
	t.Run("update keeps finalizers and status", func(t *testing.T) {
		next := ns.DeepCopy()
		next.Spec.Finalizers = nil
		next.Status.Phase = corev1.NamespaceTerminating
		wantErrs(t, update("namespaces", next, ns))
		if len(next.Spec.Finalizers) != 1 || next.Status.Phase != corev1.NamespaceActive {
			t.Errorf("update changed finalizers or status: %+v", next)
		}
	})
	t.Run("status phase follows deletion", func(t *testing.T) {
		next := ns.DeepCopy()
		next.Status.Phase = corev1.NamespaceTerminating
		wantErrs(t, statusUpdate("namespaces", next, ns), "FieldValueInvalid status.Phase")
	})
}

func pod() *corev1.Pod {
	return &corev1.Pod{ObjectMeta: om("web"), Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}}}
}

func TestPodCreate(t *testing.T) {
	p := pod()
	p.Status.Phase = corev1.PodRunning
	wantErrs(t, create("pods", p))
	if p.Status.Phase != corev1.PodPending || p.Status.QOSClass != corev1.PodQOSBestEffort {
		t.Errorf("status = %+v", p.Status)
	}
	if !*p.Spec.EnableServiceLinks || p.Spec.Containers[0].ImagePullPolicy != corev1.PullIfNotPresent {
		t.Errorf("pod not defaulted: %+v", p.Spec)
	}
	bad := pod()
	bad.Spec.Containers[0].Image = ""
	wantErrs(t, create("pods", bad), "FieldValueRequired spec.containers[0].image")
}

func TestQOSClass(t *testing.T) {
	rl := func(cpu, mem string) corev1.ResourceList {
		l := corev1.ResourceList{}
		if cpu != "" {
			l[corev1.ResourceCPU] = resource.MustParse(cpu)
		}
		if mem != "" {
			l[corev1.ResourceMemory] = resource.MustParse(mem)
		}
		return l
	}
	tests := []struct {
		name           string
		requests, lims corev1.ResourceList
		want           corev1.PodQOSClass
	}{
		{"nothing", nil, nil, corev1.PodQOSBestEffort},
		{"equal", rl("1", "1Gi"), rl("1", "1Gi"), corev1.PodQOSGuaranteed},
		{"limits only, defaulted", nil, rl("1", "1Gi"), corev1.PodQOSGuaranteed},
		{"lower request", rl("500m", "1Gi"), rl("1", "1Gi"), corev1.PodQOSBurstable},
		{"cpu only", rl("1", ""), rl("1", ""), corev1.PodQOSBurstable},
		{"zero only", rl("0", ""), nil, corev1.PodQOSBestEffort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := pod()
			p.Spec.Containers[0].Resources = corev1.ResourceRequirements{Requests: tt.requests, Limits: tt.lims}
			create("pods", p)
			if p.Status.QOSClass != tt.want {
				t.Errorf("QOS = %s, want %s", p.Status.QOSClass, tt.want)
			}
		})
	}
}

func TestPodUpdate(t *testing.T) {
	old := pod()
	create("pods", old)
	old.Status.Phase = corev1.PodRunning
	t.Run("image change bumps generation and keeps status", func(t *testing.T) {
		p := old.DeepCopy()
		p.Spec.Containers[0].Image = "nginx:2"
		p.Status.Phase = corev1.PodFailed
		wantErrs(t, update("pods", p, old))
		if p.Generation != 2 || p.Status.Phase != corev1.PodRunning {
			t.Errorf("generation %d, phase %s", p.Generation, p.Status.Phase)
		}
	})
	t.Run("other spec change is forbidden", func(t *testing.T) {
		p := old.DeepCopy()
		p.Spec.RestartPolicy = corev1.RestartPolicyNever
		wantErrs(t, update("pods", p, old), "FieldValueForbidden spec")
	})
	t.Run("status update keeps spec", func(t *testing.T) {
		p := old.DeepCopy()
		p.Spec.NodeName = "node-1"
		p.Status.PodIP, p.Status.PodIPs = "10.0.0.5", []corev1.PodIP{{IP: "10.0.0.5"}}
		wantErrs(t, statusUpdate("pods", p, old))
		if p.Spec.NodeName != "" || p.Status.PodIP != "10.0.0.5" {
			t.Errorf("spec %q, podIP %q", p.Spec.NodeName, p.Status.PodIP)
		}
		p.Status.PodIPs = []corev1.PodIP{{IP: "nope"}}
		p.Status.PodIP = "nope"
		wantErrs(t, statusUpdate("pods", p, old), "FieldValueInvalid status.podIPs[0].ip")
	})
	t.Run("fields", func(t *testing.T) {
		f := strategies["pods"].(rest.FieldsStrategy).SelectableFields(old)
		if f["status.phase"] != "Running" || f["spec.hostNetwork"] != "false" || f["spec.restartPolicy"] != "Always" || f["metadata.namespace"] != "default" {
			t.Errorf("fields = %v", f)
		}
	})
}

func service(mutate func(*corev1.ServiceSpec)) *corev1.Service {
	s := &corev1.Service{ObjectMeta: om("web"), Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Port: 80}}}}
	if mutate != nil {
		mutate(&s.Spec)
	}
	return s
}

func TestServiceDefaults(t *testing.T) {
	s := service(func(s *corev1.ServiceSpec) {
		s.Type = corev1.ServiceTypeNodePort
		s.SessionAffinity = corev1.ServiceAffinityClientIP
	})
	wantErrs(t, create("services", s))
	sp := s.Spec
	switch {
	case sp.Ports[0].Protocol != corev1.ProtocolTCP, sp.Ports[0].TargetPort != intstr.FromInt32(80):
		t.Errorf("ports = %+v", sp.Ports)
	case *sp.InternalTrafficPolicy != corev1.ServiceInternalTrafficPolicyCluster, sp.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyCluster:
		t.Error("traffic policies not defaulted")
	case *sp.IPFamilyPolicy != corev1.IPFamilyPolicySingleStack, len(sp.IPFamilies) != 1:
		t.Error("ip families not defaulted")
	case *sp.SessionAffinityConfig.ClientIP.TimeoutSeconds != 10800:
		t.Error("affinity timeout not defaulted")
	}
	plain := service(nil)
	create("services", plain)
	if plain.Spec.Type != corev1.ServiceTypeClusterIP || plain.Spec.SessionAffinity != corev1.ServiceAffinityNone || plain.Spec.ExternalTrafficPolicy != "" {
		t.Errorf("spec = %+v", plain.Spec)
	}
}

func TestServiceValidation(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*corev1.ServiceSpec)
		want   []string
	}{
		{"valid", nil, nil},
		{"no ports", func(s *corev1.ServiceSpec) { s.Ports = nil }, []string{"FieldValueRequired spec.ports"}},
		{"headless without ports", func(s *corev1.ServiceSpec) { s.Ports = nil; s.ClusterIP = "None" }, nil},
		{"external name", func(s *corev1.ServiceSpec) {
			s.Type = corev1.ServiceTypeExternalName
			s.Ports = nil
			s.ExternalName = "example.com."
		}, nil},
		{"external name required", func(s *corev1.ServiceSpec) { s.Type = corev1.ServiceTypeExternalName }, []string{"FieldValueRequired spec.externalName"}},
		{"bad type", func(s *corev1.ServiceSpec) { s.Type = "Magic" }, []string{"FieldValueNotSupported spec.type"}},
		{"bad port", func(s *corev1.ServiceSpec) { s.Ports[0].Port = 0 }, []string{"FieldValueInvalid spec.ports[0].port", "FieldValueInvalid spec.ports[0].targetPort"}},
		{"names required", func(s *corev1.ServiceSpec) { s.Ports = append(s.Ports, corev1.ServicePort{Name: "b", Port: 81}) }, []string{"FieldValueRequired spec.ports[0].name"}},
		{"duplicate names", func(s *corev1.ServiceSpec) {
			s.Ports = []corev1.ServicePort{{Name: "a", Port: 80}, {Name: "a", Port: 81}}
		}, []string{"FieldValueDuplicate spec.ports[1].name"}},
		{"nodePort on ClusterIP", func(s *corev1.ServiceSpec) { s.Ports[0].NodePort = 30000 }, []string{"FieldValueForbidden spec.ports[0].nodePort"}},
		{"nodePort on NodePort", func(s *corev1.ServiceSpec) { s.Type = corev1.ServiceTypeNodePort; s.Ports[0].NodePort = 30000 }, nil},
		{"bad clusterIP", func(s *corev1.ServiceSpec) { s.ClusterIP = "10.0.0.300" }, []string{"FieldValueInvalid spec.clusterIPs[0]"}},
		{"headless LoadBalancer", func(s *corev1.ServiceSpec) { s.Type = corev1.ServiceTypeLoadBalancer; s.ClusterIP = "None" }, []string{"FieldValueInvalid spec.clusterIPs[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErrs(t, create("services", service(tt.mutate)), tt.want...)
		})
	}
	t.Run("name is a DNS-1035 label", func(t *testing.T) {
		s := service(nil)
		s.Name = "1web"
		wantErrs(t, create("services", s), "FieldValueInvalid metadata.name")
	})
}

func TestServiceUpdate(t *testing.T) {
	old := service(func(s *corev1.ServiceSpec) { s.Type = corev1.ServiceTypeNodePort })
	create("services", old)
	old.Spec.ClusterIP, old.Spec.ClusterIPs, old.Spec.Ports[0].NodePort = "10.0.0.10", []string{"10.0.0.10"}, 30080
	t.Run("PUT without allocated values keeps them", func(t *testing.T) {
		s := service(func(s *corev1.ServiceSpec) { s.Type = corev1.ServiceTypeNodePort })
		wantErrs(t, update("services", s, old))
		if s.Spec.ClusterIP != "10.0.0.10" || s.Spec.Ports[0].NodePort != 30080 {
			t.Errorf("spec = %+v", s.Spec)
		}
	})
	t.Run("clusterIP is immutable", func(t *testing.T) {
		s := old.DeepCopy()
		s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.0.0.11", []string{"10.0.0.11"}
		wantErrs(t, update("services", s, old), "FieldValueInvalid spec.clusterIPs[0]")
	})
	t.Run("to ExternalName drops IPs and node ports", func(t *testing.T) {
		s := old.DeepCopy()
		s.Spec.Type, s.Spec.ExternalName = corev1.ServiceTypeExternalName, "example.com"
		wantErrs(t, update("services", s, old))
		if s.Spec.ClusterIP != "" || s.Spec.IPFamilyPolicy != nil || s.Spec.Ports[0].NodePort != 0 || s.Spec.ExternalTrafficPolicy != "" {
			t.Errorf("spec = %+v", s.Spec)
		}
	})
}

func TestEndpoints(t *testing.T) {
	ep := &corev1.Endpoints{ObjectMeta: om("web"), Subsets: []corev1.EndpointSubset{{
		Addresses: []corev1.EndpointAddress{{IP: "10.1.0.4"}, {IP: "127.0.0.1"}, {IP: "x"}},
		Ports:     []corev1.EndpointPort{{Port: 80}, {Name: "b", Port: 70000}},
	}, {}}}
	wantErrs(t, create("endpoints", ep),
		"FieldValueInvalid subsets[0].addresses[1].ip",
		"FieldValueInvalid subsets[0].addresses[2].ip",
		"FieldValueRequired subsets[0].ports[0].name",
		"FieldValueInvalid subsets[0].ports[1].port",
		"FieldValueRequired subsets[1]")
	if ep.Subsets[0].Ports[0].Protocol != corev1.ProtocolTCP {
		t.Error("protocol not defaulted")
	}
}

func TestNode(t *testing.T) {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1", ResourceVersion: "1"}, Spec: corev1.NodeSpec{
		PodCIDR: "10.244.0.0/24",
		Taints:  []corev1.Taint{{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule}},
	}, Status: corev1.NodeStatus{Capacity: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4")}}}
	wantErrs(t, create("nodes", n))
	if len(n.Spec.PodCIDRs) != 1 || n.Status.Allocatable.Cpu().String() != "4" {
		t.Errorf("node not defaulted: %+v", n)
	}
	t.Run("invalid", func(t *testing.T) {
		b := n.DeepCopy()
		b.Spec.PodCIDR, b.Spec.PodCIDRs = "10.244.0.0/33", nil
		b.Spec.Taints = append(b.Spec.Taints, corev1.Taint{Key: "dedicated", Effect: corev1.TaintEffectNoSchedule}, corev1.Taint{Key: "a", Effect: "Sometimes"})
		wantErrs(t, create("nodes", b),
			"FieldValueDuplicate spec.taints[1]",
			"FieldValueNotSupported spec.taints[2].effect",
			"FieldValueInvalid spec.podCIDRs[0]")
	})
	t.Run("podCIDR is set once", func(t *testing.T) {
		b := n.DeepCopy()
		b.Spec.PodCIDR, b.Spec.PodCIDRs = "10.245.0.0/24", nil
		wantErrs(t, update("nodes", b, n), "FieldValueForbidden spec.podCIDRs")
	})
	t.Run("status keeps spec", func(t *testing.T) {
		b := n.DeepCopy()
		b.Spec.Unschedulable = true
		b.Status.Phase = corev1.NodeRunning
		wantErrs(t, statusUpdate("nodes", b, n))
		if b.Spec.Unschedulable || b.Status.Phase != corev1.NodeRunning {
			t.Errorf("node = %+v", b)
		}
	})
}

func TestPodTemplate(t *testing.T) {
	pt := &corev1.PodTemplate{ObjectMeta: om("tpl"), Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}}}}
	wantErrs(t, create("podtemplates", pt), "FieldValueRequired template.spec.containers[0].image")
	pt.Template.Spec.Containers[0].Image = "busybox"
	wantErrs(t, create("podtemplates", pt))
	if pt.Template.Spec.RestartPolicy != corev1.RestartPolicyAlways || pt.Template.Spec.Containers[0].TerminationMessagePath == "" {
		t.Errorf("template not defaulted: %+v", pt.Template.Spec)
	}
}

func TestConfigMap(t *testing.T) {
	cm := &corev1.ConfigMap{ObjectMeta: om("cfg"), Data: map[string]string{"a": "1", "bad/key": "x"}, BinaryData: map[string][]byte{"a": nil}}
	wantErrs(t, create("configmaps", cm),
		"FieldValueInvalid data[a]",
		"FieldValueInvalid data[bad/key]",
		"FieldValueInvalid binaryData[a]")
	big := &corev1.ConfigMap{ObjectMeta: om("cfg"), Data: map[string]string{"a": strings.Repeat("x", maxDataSize+1)}}
	wantErrs(t, create("configmaps", big), "FieldValueTooLong []")
	t.Run("immutable", func(t *testing.T) {
		old := &corev1.ConfigMap{ObjectMeta: om("cfg"), Data: map[string]string{"a": "1"}, Immutable: ptr(true)}
		next := old.DeepCopy()
		next.Data["a"] = "2"
		wantErrs(t, update("configmaps", next, old), "FieldValueForbidden data")
	})
}

func TestSecret(t *testing.T) {
	s := &corev1.Secret{ObjectMeta: om("s"), StringData: map[string]string{"k": "v"}}
	wantErrs(t, create("secrets", s))
	if s.Type != corev1.SecretTypeOpaque || string(s.Data["k"]) != "v" || s.StringData != nil {
		t.Errorf("secret = %+v", s)
	}
	tests := []struct {
		typ  corev1.SecretType
		want []string
	}{
		{corev1.SecretTypeTLS, []string{"FieldValueRequired data[tls.crt]", "FieldValueRequired data[tls.key]"}},
		{corev1.SecretTypeDockerConfigJson, []string{"FieldValueRequired data[.dockerconfigjson]"}},
		{corev1.SecretTypeServiceAccountToken, []string{"FieldValueRequired metadata.annotations[kubernetes.io/service-account.name]"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ), func(t *testing.T) {
			wantErrs(t, create("secrets", &corev1.Secret{ObjectMeta: om("s"), Type: tt.typ}), tt.want...)
		})
	}
	t.Run("type is immutable", func(t *testing.T) {
		next := s.DeepCopy()
		next.Type = "example.com/other"
		wantErrs(t, update("secrets", next, s), "FieldValueInvalid type")
	})
	t.Run("fields", func(t *testing.T) {
		if f := strategies["secrets"].(rest.FieldsStrategy).SelectableFields(s); f["type"] != "Opaque" {
			t.Errorf("fields = %v", f)
		}
	})
}

func TestEvent(t *testing.T) {
	ev := func(ns string) *corev1.Event {
		return &corev1.Event{ObjectMeta: om("web.1"), InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: "web"}, Reason: "Started"}
	}
	wantErrs(t, create("events", ev("default")))
	wantErrs(t, create("events", ev("other")), "FieldValueInvalid involvedObject.namespace")
	newStyle := ev("default")
	newStyle.EventTime = metav1.NowMicro()
	wantErrs(t, create("events", newStyle), "FieldValueRequired reportingComponent", "FieldValueRequired reportingInstance", "FieldValueRequired action")
	f := strategies["events"].(rest.FieldsStrategy).SelectableFields(ev("default"))
	if f["involvedObject.kind"] != "Pod" || f["reason"] != "Started" {
		t.Errorf("fields = %v", f)
	}
}

func storage(q string) corev1.ResourceList {
	return corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(q)}
}

func TestPersistentVolume(t *testing.T) {
	pv := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv1", ResourceVersion: "1"}, Spec: corev1.PersistentVolumeSpec{
		AccessModes:            []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		Capacity:               storage("1Gi"),
		PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/data"}},
	}}
	wantErrs(t, create("persistentvolumes", pv))
	if pv.Status.Phase != corev1.VolumePending || pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimRetain || *pv.Spec.VolumeMode != corev1.PersistentVolumeFilesystem {
		t.Errorf("pv = %+v", pv)
	}
	bad := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv2"}, Spec: corev1.PersistentVolumeSpec{
		AccessModes: []corev1.PersistentVolumeAccessMode{"ReadSometimes"},
		PersistentVolumeSource: corev1.PersistentVolumeSource{
			HostPath: &corev1.HostPathVolumeSource{Path: "/data"}, NFS: &corev1.NFSVolumeSource{Server: "x", Path: "/"},
		},
	}}
	wantErrs(t, create("persistentvolumes", bad),
		"FieldValueNotSupported spec.accessModes",
		"FieldValueRequired spec.capacity",
		"FieldValueForbidden spec.nfs")
	t.Run("source is immutable", func(t *testing.T) {
		next := pv.DeepCopy()
		next.Spec.HostPath.Path = "/other"
		wantErrs(t, update("persistentvolumes", next, pv), "FieldValueForbidden spec.persistentvolumesource")
	})
}

func TestPersistentVolumeClaim(t *testing.T) {
	claim := &corev1.PersistentVolumeClaim{ObjectMeta: om("data"), Spec: corev1.PersistentVolumeClaimSpec{
		AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		Resources:   corev1.VolumeResourceRequirements{Requests: storage("1Gi")},
	}}
	wantErrs(t, create("persistentvolumeclaims", claim))
	if claim.Status.Phase != corev1.ClaimPending || *claim.Spec.VolumeMode != corev1.PersistentVolumeFilesystem {
		t.Errorf("claim = %+v", claim)
	}
	wantErrs(t, create("persistentvolumeclaims", &corev1.PersistentVolumeClaim{ObjectMeta: om("x")}),
		"FieldValueRequired spec.accessModes", "FieldValueRequired spec.resources[storage]")
	tests := []struct {
		name   string
		bound  bool
		mutate func(*corev1.PersistentVolumeClaimSpec)
		want   []string
	}{
		{"volumeName set once", false, func(s *corev1.PersistentVolumeClaimSpec) { s.VolumeName = "pv1" }, nil},
		{"grow bound claim", true, func(s *corev1.PersistentVolumeClaimSpec) { s.Resources.Requests = storage("2Gi") }, nil},
		{"grow unbound claim", false, func(s *corev1.PersistentVolumeClaimSpec) { s.Resources.Requests = storage("2Gi") }, []string{"FieldValueForbidden spec"}},
		{"shrink bound claim", true, func(s *corev1.PersistentVolumeClaimSpec) { s.Resources.Requests = storage("500Mi") }, []string{"FieldValueForbidden spec.resources.requests.storage"}},
		{"access modes", false, func(s *corev1.PersistentVolumeClaimSpec) {
			s.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
		}, []string{"FieldValueForbidden spec"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := claim.DeepCopy()
			if tt.bound {
				old.Status = corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound, Capacity: storage("1Gi")}
			}
			next := old.DeepCopy()
			tt.mutate(&next.Spec)
			wantErrs(t, update("persistentvolumeclaims", next, old), tt.want...)
		})
	}
}

func TestResourceQuota(t *testing.T) {
	q := &corev1.ResourceQuota{ObjectMeta: om("q"), Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{
		corev1.ResourcePods:           resource.MustParse("10"),
		"count/deployments.apps":      resource.MustParse("5"),
		corev1.ResourceRequestsCPU:    resource.MustParse("-1"),
		"widgets":                     resource.MustParse("1"),
		corev1.ResourceServices:       resource.MustParse("1500m"),
		corev1.ResourceRequestsMemory: resource.MustParse("1Gi"),
	}}, Status: corev1.ResourceQuotaStatus{Used: storage("1")}}
	wantErrs(t, create("resourcequotas", q),
		"FieldValueInvalid spec.hard[requests.cpu]",
		"FieldValueInvalid spec.hard[services]",
		"FieldValueInvalid spec.hard[widgets]")
	if q.Status.Used != nil {
		t.Error("status not cleared on create")
	}
	t.Run("status update keeps spec", func(t *testing.T) {
		old := &corev1.ResourceQuota{ObjectMeta: om("q"), Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("10")}}}
		next := old.DeepCopy()
		next.Spec.Hard = nil
		next.Status.Used = corev1.ResourceList{corev1.ResourcePods: resource.MustParse("3")}
		wantErrs(t, statusUpdate("resourcequotas", next, old))
		if next.Spec.Hard == nil || next.Status.Used == nil {
			t.Errorf("quota = %+v", next)
		}
	})
}

func TestLimitRange(t *testing.T) {
	q := resource.MustParse
	lr := &corev1.LimitRange{ObjectMeta: om("lr"), Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
		Type: corev1.LimitTypeContainer,
		Max:  corev1.ResourceList{corev1.ResourceCPU: q("2")},
		Min:  corev1.ResourceList{corev1.ResourceCPU: q("100m")},
	}}}}
	wantErrs(t, create("limitranges", lr))
	it := lr.Spec.Limits[0]
	if it.Default.Cpu().String() != "2" || it.DefaultRequest.Cpu().String() != "2" {
		t.Errorf("item = %+v", it)
	}
	bad := &corev1.LimitRange{ObjectMeta: om("lr"), Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{
		{Type: corev1.LimitTypePod, Max: corev1.ResourceList{corev1.ResourceCPU: q("1")}, Min: corev1.ResourceList{corev1.ResourceCPU: q("2")}, Default: corev1.ResourceList{corev1.ResourceCPU: q("1")}},
		{Type: "Widget"},
	}}}
	wantErrs(t, create("limitranges", bad),
		"FieldValueForbidden spec.limits[0].default",
		"FieldValueInvalid spec.limits[0].min[cpu]",
		"FieldValueInvalid spec.limits[0].default[cpu]",
		"FieldValueInvalid spec.limits[1].type")
}

func rc() *corev1.ReplicationController {
	return &corev1.ReplicationController{ObjectMeta: om("web"), Spec: corev1.ReplicationControllerSpec{
		Template: &corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx"}}},
		},
	}}
}

func TestReplicationController(t *testing.T) {
	r := rc()
	r.Status.Replicas = 3
	wantErrs(t, create("replicationcontrollers", r))
	if *r.Spec.Replicas != 1 || r.Spec.Selector["app"] != "web" || r.Labels["app"] != "web" || r.Status.Replicas != 0 {
		t.Errorf("rc = %+v", r)
	}
	if r.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		t.Error("template not defaulted")
	}
	tests := []struct {
		name   string
		mutate func(*corev1.ReplicationController)
		want   []string
	}{
		{"selector mismatch", func(r *corev1.ReplicationController) { r.Spec.Selector = map[string]string{"app": "db"} }, []string{"FieldValueInvalid spec.template.metadata.labels"}},
		{"no template", func(r *corev1.ReplicationController) {
			r.Spec.Template = nil
			r.Spec.Selector = map[string]string{"a": "b"}
		}, []string{"FieldValueRequired spec.template"}},
		{"restart policy", func(r *corev1.ReplicationController) { r.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever }, []string{"FieldValueNotSupported spec.template.spec.restartPolicy"}},
		{"negative replicas", func(r *corev1.ReplicationController) { r.Spec.Replicas = ptr(int32(-1)) }, []string{"FieldValueInvalid spec.replicas"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rc()
			tt.mutate(r)
			wantErrs(t, create("replicationcontrollers", r), tt.want...)
		})
	}
	t.Run("spec change bumps generation", func(t *testing.T) {
		old := rc()
		create("replicationcontrollers", old)
		old.Status.Replicas = 1
		next := old.DeepCopy()
		next.Spec.Replicas = ptr(int32(3))
		next.Status.Replicas = 7
		wantErrs(t, update("replicationcontrollers", next, old))
		if next.Generation != 2 || next.Status.Replicas != 1 {
			t.Errorf("generation %d, replicas %d", next.Generation, next.Status.Replicas)
		}
		meta := old.DeepCopy()
		meta.Labels["x"] = "y"
		update("replicationcontrollers", meta, old)
		if meta.Generation != 1 {
			t.Errorf("label change bumped generation to %d", meta.Generation)
		}
	})
	t.Run("status", func(t *testing.T) {
		old := rc()
		create("replicationcontrollers", old)
		next := old.DeepCopy()
		next.Status = corev1.ReplicationControllerStatus{Replicas: 1, ReadyReplicas: 2}
		wantErrs(t, statusUpdate("replicationcontrollers", next, old), "FieldValueInvalid status.readyReplicas")
		if f := strategies["replicationcontrollers"].(rest.FieldsStrategy).SelectableFields(next); f["status.replicas"] != "1" {
			t.Errorf("fields = %v", f)
		}
	})
}
