package kubelet

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// objects is an objectSource over fixed ConfigMaps, Secrets and
// Services (by namespace).
type objects struct {
	cms     map[string]*corev1.ConfigMap
	secrets map[string]*corev1.Secret
	svcs    map[string][]corev1.Service
}

func (o objects) services(_ context.Context, ns string) ([]corev1.Service, error) {
	return o.svcs[ns], nil
}

func (o objects) configMap(_ context.Context, _, name string) (*corev1.ConfigMap, error) {
	if cm, ok := o.cms[name]; ok {
		return cm, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, name)
}

func (o objects) secret(_ context.Context, _, name string) (*corev1.Secret, error) {
	if s, ok := o.secrets[name]; ok {
		return s, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, name)
}

func TestResolveEnv(t *testing.T) {
	src := objects{
		cms:     map[string]*corev1.ConfigMap{"cfg": {Data: map[string]string{"a": "1", "b": "2"}}},
		secrets: map[string]*corev1.Secret{"sec": {Data: map[string][]byte{"pw": []byte("s")}}},
	}
	yes := true
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: "u1", Labels: map[string]string{"app": "x"}},
		Spec:       corev1.PodSpec{NodeName: "n1"},
	}
	f := podFacts{pod: pod, podIP: "10.0.0.5", hostIP: "192.168.1.1", allocatable: func() corev1.ResourceList {
		return corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}
	}}
	ref := func(s *corev1.EnvVarSource) *corev1.EnvVarSource { return s }
	c := corev1.Container{
		Name:      "main",
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")}},
		EnvFrom: []corev1.EnvFromSource{
			{Prefix: "CM_", ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}},
			{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "missing"}, Optional: &yes}},
		},
		Env: []corev1.EnvVar{
			{Name: "CM_a", Value: "override"},
			{Name: "PW", ValueFrom: ref(&corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "sec"}, Key: "pw"}})},
			{Name: "GONE", ValueFrom: ref(&corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Key: "zzz", Optional: &yes}})},
			{Name: "IP", ValueFrom: ref(&corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}})},
			{Name: "APP", ValueFrom: ref(&corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels['app']"}})},
			{Name: "CPU_M", ValueFrom: ref(&corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "requests.cpu", Divisor: resource.MustParse("1m")}})},
			{Name: "CPU", ValueFrom: ref(&corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "requests.cpu"}})},
			{Name: "MEM_MI", ValueFrom: ref(&corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.memory", Divisor: resource.MustParse("1Mi")}})},
			{Name: "MSG", Value: "$(CM_a)/$(PW)/$(LATER)/$$(IP)"},
			{Name: "LATER", Value: "l"},
		},
	}
	env, err := resolveEnv(context.Background(), src, f, c)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range env.names {
		got = append(got, n+"="+env.values[n])
	}
	want := []string{"CM_a=override", "CM_b=2", "PW=s", "IP=10.0.0.5", "APP=x", "CPU_M=250", "CPU=1", "MEM_MI=1024", "MSG=override/s/$(LATER)/$(IP)", "LATER=l"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("env (-want +got):\n%s", d)
	}

	c.Env = []corev1.EnvVar{{Name: "X", ValueFrom: ref(&corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "nope"}, Key: "k"}})}}
	if _, err := resolveEnv(context.Background(), src, f, c); !apierrors.IsNotFound(err) {
		t.Errorf("missing non-optional secret: err %v, want NotFound", err)
	}
}

func TestServiceEnv(t *testing.T) {
	svc := func(ns, name, ip string, ports ...corev1.ServicePort) corev1.Service {
		return corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: corev1.ServiceSpec{ClusterIP: ip, Ports: ports}}
	}
	src := objects{svcs: map[string][]corev1.Service{
		"default": {svc("default", "kubernetes", "10.43.0.1", corev1.ServicePort{Name: "https", Port: 443, Protocol: corev1.ProtocolTCP}), svc("default", "other", "10.43.0.9", corev1.ServicePort{Port: 1})},
		"ns": {
			svc("ns", "my-db", "10.43.0.7", corev1.ServicePort{Name: "sql", Port: 5432, Protocol: corev1.ProtocolTCP}, corev1.ServicePort{Name: "dns-udp", Port: 53, Protocol: corev1.ProtocolUDP}),
			svc("ns", "headless", corev1.ClusterIPNone, corev1.ServicePort{Port: 80}),
		},
	}}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}}
	c := corev1.Container{Name: "main", Env: []corev1.EnvVar{
		{Name: "MY_DB_SERVICE_PORT", Value: "mine"},
		{Name: "URL", Value: "$(MY_DB_SERVICE_HOST):$(MY_DB_SERVICE_PORT_SQL)"},
	}}
	env, err := resolveEnv(context.Background(), src, podFacts{pod: pod}, c)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"MY_DB_SERVICE_PORT":            "mine", // the container's own definition wins
		"URL":                           "10.43.0.7:5432",
		"MY_DB_SERVICE_HOST":            "10.43.0.7",
		"MY_DB_SERVICE_PORT_SQL":        "5432",
		"MY_DB_SERVICE_PORT_DNS_UDP":    "53",
		"MY_DB_PORT":                    "tcp://10.43.0.7:5432",
		"MY_DB_PORT_5432_TCP":           "tcp://10.43.0.7:5432",
		"MY_DB_PORT_5432_TCP_PROTO":     "tcp",
		"MY_DB_PORT_5432_TCP_PORT":      "5432",
		"MY_DB_PORT_5432_TCP_ADDR":      "10.43.0.7",
		"MY_DB_PORT_53_UDP":             "udp://10.43.0.7:53",
		"MY_DB_PORT_53_UDP_PROTO":       "udp",
		"MY_DB_PORT_53_UDP_PORT":        "53",
		"MY_DB_PORT_53_UDP_ADDR":        "10.43.0.7",
		"KUBERNETES_SERVICE_HOST":       "10.43.0.1",
		"KUBERNETES_SERVICE_PORT":       "443",
		"KUBERNETES_SERVICE_PORT_HTTPS": "443",
		"KUBERNETES_PORT":               "tcp://10.43.0.1:443",
		"KUBERNETES_PORT_443_TCP":       "tcp://10.43.0.1:443",
		"KUBERNETES_PORT_443_TCP_PROTO": "tcp",
		"KUBERNETES_PORT_443_TCP_PORT":  "443",
		"KUBERNETES_PORT_443_TCP_ADDR":  "10.43.0.1",
	}
	if d := cmp.Diff(want, env.values); d != "" {
		t.Errorf("env (-want +got):\n%s", d)
	}

	off := false
	pod.Spec.EnableServiceLinks = &off
	env, err = resolveEnv(context.Background(), src, podFacts{pod: pod}, corev1.Container{Name: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := env.values["MY_DB_SERVICE_HOST"]; ok {
		t.Error("enableServiceLinks=false still links the namespace's services")
	}
	if env.values["KUBERNETES_SERVICE_HOST"] != "10.43.0.1" {
		t.Error("the kubernetes Service's variables are missing with enableServiceLinks=false")
	}
}
