package kubelet

import (
	"context"
	"fmt"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiff-sh/skiff/internal/dns"
)

// sandboxConfig is the CRI sandbox for a pod: hostname, DNS, host ports,
// cgroup parent, log directory and namespaces.
func (k *Kubelet) sandboxConfig(pod *corev1.Pod, attempt uint32) (*runtimeapi.PodSandboxConfig, error) {
	dns, err := k.dnsConfig(pod)
	if err != nil {
		return nil, err
	}
	hostname := pod.Spec.Hostname
	if hostname == "" {
		hostname = pod.Name
	}
	if len(hostname) > 63 {
		hostname = strings.TrimRight(hostname[:63], "-.")
	}
	if pod.Spec.HostNetwork {
		hostname = "" // containerd requires it empty for host-network sandboxes
	}
	labels := map[string]string{labelPodUID: string(pod.UID), labelPodName: pod.Name, labelPodNamespace: pod.Namespace}
	for k, v := range pod.Labels {
		labels[k] = v
	}
	return &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: pod.Name, Uid: string(pod.UID), Namespace: pod.Namespace, Attempt: attempt},
		Hostname:     hostname,
		LogDirectory: k.podLogDir(pod.Namespace, pod.Name, pod.UID),
		DnsConfig:    dns,
		PortMappings: portMappings(pod),
		Labels:       labels,
		Annotations:  pod.Annotations,
		Linux: &runtimeapi.LinuxPodSandboxConfig{
			CgroupParent: k.podCgroup(pod.UID),
			SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{
				NamespaceOptions: namespaceOptions(pod),
			},
		},
	}, nil
}

func namespaceOptions(pod *corev1.Pod) *runtimeapi.NamespaceOption {
	ns := &runtimeapi.NamespaceOption{Network: runtimeapi.NamespaceMode_POD, Pid: runtimeapi.NamespaceMode_CONTAINER, Ipc: runtimeapi.NamespaceMode_POD}
	if pod.Spec.HostNetwork {
		ns.Network = runtimeapi.NamespaceMode_NODE
	}
	if pod.Spec.HostPID {
		ns.Pid = runtimeapi.NamespaceMode_NODE
	} else if pod.Spec.ShareProcessNamespace != nil && *pod.Spec.ShareProcessNamespace {
		ns.Pid = runtimeapi.NamespaceMode_POD
	}
	if pod.Spec.HostIPC {
		ns.Ipc = runtimeapi.NamespaceMode_NODE
	}
	return ns
}

func portMappings(pod *corev1.Pod) []*runtimeapi.PortMapping {
	var out []*runtimeapi.PortMapping
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.HostPort == 0 {
				continue
			}
			proto := runtimeapi.Protocol_TCP
			switch p.Protocol {
			case corev1.ProtocolUDP:
				proto = runtimeapi.Protocol_UDP
			case corev1.ProtocolSCTP:
				proto = runtimeapi.Protocol_SCTP
			}
			out = append(out, &runtimeapi.PortMapping{Protocol: proto, ContainerPort: p.ContainerPort, HostPort: p.HostPort, HostIp: p.HostIP})
		}
	}
	return out
}

// dnsConfig is the pod's resolv.conf per its dnsPolicy and dnsConfig:
// the cluster DNS for ClusterFirst pods, the host's resolvers for
// Default ones.
func (k *Kubelet) dnsConfig(pod *corev1.Pod) (*runtimeapi.DNSConfig, error) {
	f, err := os.Open(k.cfg.ResolvConf)
	if err != nil {
		return nil, fmt.Errorf("resolv.conf: %w", err)
	}
	defer f.Close()
	host, err := dns.ParseResolvConf(f)
	if err != nil {
		return nil, err
	}
	servers, searches, options := dns.PodResolvConf(pod, k.cfg.ClusterDNS, k.cfg.ClusterDomain, host)
	return &runtimeapi.DNSConfig{Servers: servers, Searches: searches, Options: options}, nil
}

// containerConfig is the CRI container for one instance (attempt) of c:
// its environment resolved, $(VAR) expanded in command and args, and its
// volume mounts.
func (k *Kubelet) containerConfig(ctx context.Context, f podFacts, c corev1.Container, attempt uint32, image string, vols map[string]string) (*runtimeapi.ContainerConfig, error) {
	pod := f.pod
	env, err := resolveEnv(ctx, apiObjects{k.cfg.Client}, f, c)
	if err != nil {
		return nil, err
	}
	ms, err := mounts(pod, c, vols, env)
	if err != nil {
		return nil, err
	}
	tm, err := k.terminationMessageMount(pod.UID, c, attempt)
	if err != nil {
		return nil, fmt.Errorf("termination message file: %w", err)
	}
	if tm != nil {
		ms = append(ms, tm)
	}
	kvs := make([]*runtimeapi.KeyValue, 0, len(env.names))
	for _, n := range env.names {
		kvs = append(kvs, &runtimeapi.KeyValue{Key: n, Value: []byte(env.values[n])})
	}
	expand := func(in []string) []string {
		var out []string
		for _, s := range in {
			out = append(out, expandVars(s, env.lookup))
		}
		return out
	}
	return &runtimeapi.ContainerConfig{
		Metadata:   &runtimeapi.ContainerMetadata{Name: c.Name, Attempt: attempt},
		Image:      &runtimeapi.ImageSpec{Image: image, UserSpecifiedImage: c.Image},
		Command:    expand(c.Command),
		Args:       expand(c.Args),
		WorkingDir: c.WorkingDir,
		Envs:       kvs,
		Mounts:     ms,
		Labels:     map[string]string{labelPodUID: string(pod.UID), labelPodName: pod.Name, labelPodNamespace: pod.Namespace, labelContainer: c.Name},
		LogPath:    fmt.Sprintf("%s/%d.log", c.Name, attempt),
		Stdin:      c.Stdin,
		StdinOnce:  c.StdinOnce,
		Tty:        c.TTY,
		Linux: &runtimeapi.LinuxContainerConfig{
			Resources:       linuxResources(c.Resources),
			SecurityContext: securityContext(pod, c),
		},
	}, nil
}

// linuxResources maps requests and limits as the Kubernetes kubelet does:
// cpu request → shares, cpu limit → CFS quota per 100 ms, memory limit →
// the memory cgroup limit.
func linuxResources(r corev1.ResourceRequirements) *runtimeapi.LinuxContainerResources {
	const period = 100000
	out := &runtimeapi.LinuxContainerResources{CpuShares: 2}
	if q, ok := r.Requests[corev1.ResourceCPU]; ok {
		out.CpuShares = max(2, q.MilliValue()*1024/1000)
	} else if q, ok := r.Limits[corev1.ResourceCPU]; ok {
		out.CpuShares = max(2, q.MilliValue()*1024/1000) // request defaults to the limit
	}
	if q, ok := r.Limits[corev1.ResourceCPU]; ok {
		out.CpuPeriod = period
		out.CpuQuota = max(1000, q.MilliValue()*period/1000)
	}
	if q, ok := r.Limits[corev1.ResourceMemory]; ok {
		out.MemoryLimitInBytes = q.Value()
	}
	return out
}

func securityContext(pod *corev1.Pod, c corev1.Container) *runtimeapi.LinuxContainerSecurityContext {
	sc := &runtimeapi.LinuxContainerSecurityContext{NamespaceOptions: namespaceOptions(pod)}
	if psc := pod.Spec.SecurityContext; psc != nil {
		if psc.RunAsUser != nil {
			sc.RunAsUser = &runtimeapi.Int64Value{Value: *psc.RunAsUser}
		}
		if psc.RunAsGroup != nil {
			sc.RunAsGroup = &runtimeapi.Int64Value{Value: *psc.RunAsGroup}
		}
		sc.SupplementalGroups = psc.SupplementalGroups
	}
	if csc := c.SecurityContext; csc != nil {
		if csc.RunAsUser != nil {
			sc.RunAsUser = &runtimeapi.Int64Value{Value: *csc.RunAsUser}
		}
		if csc.RunAsGroup != nil {
			sc.RunAsGroup = &runtimeapi.Int64Value{Value: *csc.RunAsGroup}
		}
		sc.Privileged = csc.Privileged != nil && *csc.Privileged
		sc.ReadonlyRootfs = csc.ReadOnlyRootFilesystem != nil && *csc.ReadOnlyRootFilesystem
	}
	return sc
}
