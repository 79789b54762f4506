package podspec

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func validSpec() *corev1.PodSpec {
	s := &corev1.PodSpec{
		Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 80}}}},
		Volumes:    []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
	}
	DefaultPodSpec(s)
	return s
}

func TestPullPolicy(t *testing.T) {
	for image, want := range map[string]corev1.PullPolicy{
		"nginx":                      corev1.PullAlways,
		"nginx:latest":               corev1.PullAlways,
		"nginx:1.27":                 corev1.PullIfNotPresent,
		"localhost:5000/nginx":       corev1.PullAlways,
		"localhost:5000/nginx:1":     corev1.PullIfNotPresent,
		"nginx@sha256:abcd":          corev1.PullIfNotPresent,
		"nginx:latest@sha256:abcdef": corev1.PullAlways,
		"":                           corev1.PullIfNotPresent,
	} {
		t.Run(image, func(t *testing.T) {
			if got := pullPolicy(image); got != want {
				t.Errorf("pullPolicy(%q) = %s, want %s", image, got, want)
			}
		})
	}
}

func TestDefaultPodSpec(t *testing.T) {
	s := &corev1.PodSpec{
		Containers: []corev1.Container{{
			Name: "a", Image: "busybox",
			Ports:         []corev1.ContainerPort{{ContainerPort: 80}},
			LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(80)}}},
			Resources:     corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}},
		}},
		Volumes: []corev1.Volume{
			{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "x"}}},
			{Name: "h", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/x"}}},
		},
	}
	DefaultPodSpec(s)
	c := s.Containers[0]
	checks := []struct {
		name string
		ok   bool
	}{
		{"restartPolicy", s.RestartPolicy == corev1.RestartPolicyAlways},
		{"dnsPolicy", s.DNSPolicy == corev1.DNSClusterFirst},
		{"schedulerName", s.SchedulerName == "default-scheduler"},
		{"terminationGracePeriodSeconds", *s.TerminationGracePeriodSeconds == 30},
		{"securityContext", s.SecurityContext != nil},
		{"enableServiceLinks stays for templates", s.EnableServiceLinks == nil},
		{"imagePullPolicy", c.ImagePullPolicy == corev1.PullAlways},
		{"terminationMessagePath", c.TerminationMessagePath == "/dev/termination-log"},
		{"terminationMessagePolicy", c.TerminationMessagePolicy == corev1.TerminationMessageReadFile},
		{"port protocol", c.Ports[0].Protocol == corev1.ProtocolTCP},
		{"probe", c.LivenessProbe.TimeoutSeconds == 1 && c.LivenessProbe.PeriodSeconds == 10 && c.LivenessProbe.SuccessThreshold == 1 && c.LivenessProbe.FailureThreshold == 3},
		{"httpGet", c.LivenessProbe.HTTPGet.Scheme == corev1.URISchemeHTTP && c.LivenessProbe.HTTPGet.Path == "/"},
		{"requests stay for templates", c.Resources.Requests == nil},
		{"secret mode", *s.Volumes[0].Secret.DefaultMode == 0o644},
		{"hostPath type", s.Volumes[1].HostPath.Type != nil && *s.Volumes[1].HostPath.Type == ""},
	}
	for _, ch := range checks {
		t.Run(ch.name, func(t *testing.T) {
			if !ch.ok {
				t.Errorf("%s not defaulted", ch.name)
			}
		})
	}
}

func TestDefaultPod(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{HostNetwork: true, Containers: []corev1.Container{{
		Name: "a", Image: "x:1",
		Ports:     []corev1.ContainerPort{{ContainerPort: 8080}},
		Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1Gi")}, Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")}},
	}}}}
	DefaultPod(pod)
	c := pod.Spec.Containers[0]
	if !*pod.Spec.EnableServiceLinks {
		t.Error("enableServiceLinks not true")
	}
	if got := c.Resources.Requests[corev1.ResourceMemory]; got.String() != "1Gi" {
		t.Errorf("memory request = %s, want 1Gi", got.String())
	}
	if got := c.Resources.Requests[corev1.ResourceCPU]; got.String() != "500m" {
		t.Errorf("cpu request = %s, want 500m kept", got.String())
	}
	if c.Ports[0].HostPort != 8080 {
		t.Errorf("hostPort = %d, want 8080", c.Ports[0].HostPort)
	}
}

// errSet renders errors as "type path" for comparison.
func errSet(errs field.ErrorList) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = string(e.Type) + " " + e.Field
	}
	return out
}

func wantErrs(t *testing.T, errs field.ErrorList, want []string) {
	t.Helper()
	got := errSet(errs)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s\n(%v)", strings.Join(got, "\n"), strings.Join(want, "\n"), errs)
	}
}

func TestValidatePodSpec(t *testing.T) {
	q := resource.MustParse
	tests := []struct {
		name   string
		mutate func(s *corev1.PodSpec)
		want   []string
	}{
		{"valid", func(*corev1.PodSpec) {}, nil},
		{"no containers", func(s *corev1.PodSpec) { s.Containers = nil }, []string{"FieldValueRequired spec.containers"}},
		{"bad name", func(s *corev1.PodSpec) { s.Containers[0].Name = "App_1" }, []string{"FieldValueInvalid spec.containers[0].name"}},
		{"no image", func(s *corev1.PodSpec) { s.Containers[0].Image = "" }, []string{"FieldValueRequired spec.containers[0].image"}},
		{"duplicate across init", func(s *corev1.PodSpec) {
			s.InitContainers = []corev1.Container{{Name: "app", Image: "x", ImagePullPolicy: "Always", TerminationMessagePolicy: "File"}}
		}, []string{"FieldValueDuplicate spec.containers[0].name"}},
		{"port range", func(s *corev1.PodSpec) { s.Containers[0].Ports[0].ContainerPort = 70000 }, []string{"FieldValueInvalid spec.containers[0].ports[0].containerPort"}},
		{"protocol", func(s *corev1.PodSpec) { s.Containers[0].Ports[0].Protocol = "ICMP" }, []string{"FieldValueNotSupported spec.containers[0].ports[0].protocol"}},
		{"port name", func(s *corev1.PodSpec) { s.Containers[0].Ports[0].Name = "a-very-long-port-name" }, []string{"FieldValueInvalid spec.containers[0].ports[0].name"}},
		{"duplicate port name", func(s *corev1.PodSpec) {
			s.Containers[0].Ports = append(s.Containers[0].Ports, corev1.ContainerPort{Name: "http", ContainerPort: 81, Protocol: "TCP"})
		}, []string{"FieldValueDuplicate spec.containers[0].ports[1].name"}},
		{"env name", func(s *corev1.PodSpec) { s.Containers[0].Env = []corev1.EnvVar{{Name: ""}, {Name: "A=B"}} }, []string{"FieldValueRequired spec.containers[0].env[0].name", "FieldValueInvalid spec.containers[0].env[1].name"}},
		{"env source", func(s *corev1.PodSpec) {
			s.Containers[0].Env = []corev1.EnvVar{{Name: "A", ValueFrom: &corev1.EnvVarSource{}}}
		}, []string{"FieldValueInvalid spec.containers[0].env[0].valueFrom"}},
		{"volume name", func(s *corev1.PodSpec) { s.Volumes[0].Name = "Data" }, []string{"FieldValueInvalid spec.volumes[0].name"}},
		{"duplicate volume", func(s *corev1.PodSpec) { s.Volumes = append(s.Volumes, s.Volumes[0]) }, []string{"FieldValueDuplicate spec.volumes[1].name"}},
		{"no volume source", func(s *corev1.PodSpec) { s.Volumes[0].EmptyDir = nil }, []string{"FieldValueRequired spec.volumes[0]"}},
		{"two volume sources", func(s *corev1.PodSpec) {
			s.Volumes[0].HostPath = &corev1.HostPathVolumeSource{Path: "/x"}
		}, []string{"FieldValueForbidden spec.volumes[0].emptyDir"}},
		{"mount unknown volume", func(s *corev1.PodSpec) {
			s.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "nope", MountPath: "/x"}}
		}, []string{"FieldValueNotFound spec.containers[0].volumeMounts[0].name"}},
		{"mount path", func(s *corev1.PodSpec) {
			s.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data"}}
		}, []string{"FieldValueRequired spec.containers[0].volumeMounts[0].mountPath"}},
		{"restartPolicy", func(s *corev1.PodSpec) { s.RestartPolicy = "Sometimes" }, []string{"FieldValueNotSupported spec.restartPolicy"}},
		{"dnsPolicy", func(s *corev1.PodSpec) { s.DNSPolicy = "Google" }, []string{"FieldValueNotSupported spec.dnsPolicy"}},
		{"negative request", func(s *corev1.PodSpec) {
			s.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: q("-1")}
		}, []string{"FieldValueInvalid spec.containers[0].resources.requests[cpu]"}},
		{"request above limit", func(s *corev1.PodSpec) {
			s.Containers[0].Resources = corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: q("2Gi")}, Limits: corev1.ResourceList{corev1.ResourceMemory: q("1Gi")}}
		}, []string{"FieldValueInvalid spec.containers[0].resources.requests"}},
		{"unknown resource", func(s *corev1.PodSpec) {
			s.Containers[0].Resources.Limits = corev1.ResourceList{"gpu": q("1")}
		}, []string{"FieldValueInvalid spec.containers[0].resources.limits[gpu]"}},
		{"extended resource without limit", func(s *corev1.PodSpec) {
			s.Containers[0].Resources.Requests = corev1.ResourceList{"example.com/gpu": q("1")}
		}, []string{"FieldValueRequired spec.containers[0].resources.limits"}},
		{"grace period", func(s *corev1.PodSpec) { s.TerminationGracePeriodSeconds = ptr(int64(-1)) }, []string{"FieldValueInvalid spec.terminationGracePeriodSeconds"}},
		{"nodeSelector", func(s *corev1.PodSpec) { s.NodeSelector = map[string]string{"a b": "c"} }, []string{"FieldValueInvalid spec.nodeSelector"}},
		{"toleration operator", func(s *corev1.PodSpec) {
			s.Tolerations = []corev1.Toleration{{Key: "k", Operator: "In"}}
		}, []string{"FieldValueNotSupported spec.tolerations[0].operator"}},
		{"toleration empty key", func(s *corev1.PodSpec) {
			s.Tolerations = []corev1.Toleration{{Operator: "Equal", Value: "v"}}
		}, []string{"FieldValueInvalid spec.tolerations[0].operator"}},
		{"toleration effect", func(s *corev1.PodSpec) {
			s.Tolerations = []corev1.Toleration{{Operator: "Exists", Effect: "Never"}}
		}, []string{"FieldValueNotSupported spec.tolerations[0].effect"}},
		{"toleration seconds", func(s *corev1.PodSpec) {
			s.Tolerations = []corev1.Toleration{{Operator: "Exists", Effect: "NoSchedule", TolerationSeconds: ptr(int64(5))}}
		}, []string{"FieldValueInvalid spec.tolerations[0].effect"}},
		{"probe without handler", func(s *corev1.PodSpec) {
			s.Containers[0].ReadinessProbe = &corev1.Probe{TimeoutSeconds: 1, PeriodSeconds: 1, SuccessThreshold: 1, FailureThreshold: 1}
		}, []string{"FieldValueRequired spec.containers[0].readinessProbe"}},
		{"probe with two handlers", func(s *corev1.PodSpec) {
			s.Containers[0].LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
				Exec:      &corev1.ExecAction{Command: []string{"true"}},
				TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(80)},
			}, SuccessThreshold: 1}
		}, []string{"FieldValueForbidden spec.containers[0].livenessProbe.tcpSocket"}},
		{"liveness success threshold", func(s *corev1.PodSpec) {
			s.Containers[0].LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("http")}}, SuccessThreshold: 2}
		}, []string{"FieldValueInvalid spec.containers[0].livenessProbe.successThreshold"}},
		{"init container probe", func(s *corev1.PodSpec) {
			s.InitContainers = []corev1.Container{{Name: "init", Image: "x", ImagePullPolicy: "Always", TerminationMessagePolicy: "File", ReadinessProbe: &corev1.Probe{}}}
		}, []string{"FieldValueForbidden spec.initContainers[0].readinessProbe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSpec()
			tt.mutate(s)
			wantErrs(t, ValidatePodSpec(s, field.NewPath("spec")), tt.want)
		})
	}
}

func TestValidatePodTemplate(t *testing.T) {
	tmpl := &corev1.PodTemplateSpec{Spec: *validSpec()}
	tmpl.Labels = map[string]string{"bad key!": "x"}
	tmpl.Spec.Containers[0].Image = ""
	wantErrs(t, ValidatePodTemplate(tmpl, field.NewPath("spec", "template")), []string{
		"FieldValueInvalid spec.template.metadata.labels",
		"FieldValueRequired spec.template.spec.containers[0].image",
	})
}

func TestValidatePodSpecUpdate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(s *corev1.PodSpec)
		want   []string
	}{
		{"image", func(s *corev1.PodSpec) { s.Containers[0].Image = "nginx:2" }, nil},
		{"grace period", func(s *corev1.PodSpec) { s.TerminationGracePeriodSeconds = ptr(int64(5)) }, nil},
		{"add toleration", func(s *corev1.PodSpec) {
			s.Tolerations = append(s.Tolerations, corev1.Toleration{Key: "b", Operator: "Exists"})
		}, nil},
		{"toleration seconds", func(s *corev1.PodSpec) { s.Tolerations[0].TolerationSeconds = ptr(int64(9)) }, nil},
		{"remove toleration", func(s *corev1.PodSpec) { s.Tolerations = nil }, []string{"FieldValueForbidden spec.tolerations"}},
		{"set deadline", func(s *corev1.PodSpec) { s.ActiveDeadlineSeconds = ptr(int64(10)) }, nil},
		{"port", func(s *corev1.PodSpec) { s.Containers[0].Ports[0].ContainerPort = 81 }, []string{"FieldValueForbidden spec"}},
		{"add container", func(s *corev1.PodSpec) { s.Containers = append(s.Containers, s.Containers[0]) }, []string{"FieldValueForbidden spec.containers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := validSpec()
			old.Tolerations = []corev1.Toleration{{Key: "a", Operator: "Exists", Effect: "NoExecute", TolerationSeconds: ptr(int64(3))}}
			s := old.DeepCopy()
			tt.mutate(s)
			wantErrs(t, ValidatePodSpecUpdate(s, old, field.NewPath("spec")), tt.want)
		})
	}
	t.Run("deadline", func(t *testing.T) {
		old := validSpec()
		old.ActiveDeadlineSeconds = ptr(int64(10))
		s := old.DeepCopy()
		s.ActiveDeadlineSeconds = ptr(int64(20))
		wantErrs(t, ValidatePodSpecUpdate(s, old, field.NewPath("spec")), []string{"FieldValueInvalid spec.activeDeadlineSeconds"})
		s.ActiveDeadlineSeconds = nil
		wantErrs(t, ValidatePodSpecUpdate(s, old, field.NewPath("spec")), []string{"FieldValueInvalid spec.activeDeadlineSeconds"})
	})
}
