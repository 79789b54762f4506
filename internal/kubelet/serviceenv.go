package kubelet

import (
	"context"
	"net"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// serviceEnv are the variables Kubernetes gives every container about
// Services: the kubernetes Service's always, and, unless the pod turns
// enableServiceLinks off, every Service of the pod's namespace, in the
// Docker-links shape (NAME_SERVICE_HOST, NAME_PORT_80_TCP_ADDR, ...).
func serviceEnv(ctx context.Context, src objectSource, pod *corev1.Pod) (map[string]string, error) {
	env := map[string]string{}
	links := pod.Spec.EnableServiceLinks == nil || *pod.Spec.EnableServiceLinks
	if links {
		svcs, err := src.services(ctx, pod.Namespace)
		if err != nil {
			return nil, err
		}
		for i := range svcs {
			addServiceEnv(env, &svcs[i])
		}
	}
	if !links || pod.Namespace != metav1.NamespaceDefault {
		svcs, err := src.services(ctx, metav1.NamespaceDefault)
		if err != nil {
			return nil, err
		}
		for i := range svcs {
			if svcs[i].Name == "kubernetes" {
				addServiceEnv(env, &svcs[i])
			}
		}
	}
	return env, nil
}

func addServiceEnv(env map[string]string, s *corev1.Service) {
	ip := s.Spec.ClusterIP
	if ip == "" || ip == corev1.ClusterIPNone || len(s.Spec.Ports) == 0 {
		return
	}
	name := envName(s.Name)
	env[name+"_SERVICE_HOST"] = ip
	env[name+"_SERVICE_PORT"] = strconv.Itoa(int(s.Spec.Ports[0].Port))
	for i, p := range s.Spec.Ports {
		if p.Name != "" {
			env[name+"_SERVICE_PORT_"+envName(p.Name)] = strconv.Itoa(int(p.Port))
		}
		proto := strings.ToLower(string(p.Protocol))
		if proto == "" {
			proto = "tcp"
		}
		port := strconv.Itoa(int(p.Port))
		url := proto + "://" + net.JoinHostPort(ip, port)
		if i == 0 {
			env[name+"_PORT"] = url
		}
		prefix := name + "_PORT_" + port + "_" + strings.ToUpper(proto)
		env[prefix] = url
		env[prefix+"_PROTO"] = proto
		env[prefix+"_PORT"] = port
		env[prefix+"_ADDR"] = ip
	}
}

func envName(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "-", "_")) }
