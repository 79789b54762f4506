// Package podspec defaults and validates the pod spec that pods and every
// workload template (ReplicationController, Deployment, Job, ...) share,
// following Kubernetes' core/v1 defaulters and core validation.
package podspec

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Defaults Kubernetes gives an unset pod spec.
const (
	DefaultSchedulerName          = "default-scheduler"
	DefaultTerminationGracePeriod = int64(30)
	DefaultTerminationMessagePath = "/dev/termination-log"
	defaultVolumeMode             = int32(0o644)
)

// DefaultPodTemplate fills the unset fields of a workload's pod template.
func DefaultPodTemplate(t *corev1.PodTemplateSpec) {
	DefaultPodSpec(&t.Spec)
}

// DefaultPodSpec fills unset pod spec fields as SetDefaults_PodSpec and the
// defaulters of its nested types do. Pod-only defaults (requests from
// limits, enableServiceLinks, host-network ports) are in DefaultPod:
// Kubernetes does not apply them to templates.
func DefaultPodSpec(spec *corev1.PodSpec) {
	setString(&spec.RestartPolicy, corev1.RestartPolicyAlways)
	setString(&spec.DNSPolicy, corev1.DNSClusterFirst)
	setString(&spec.SchedulerName, DefaultSchedulerName)
	if spec.TerminationGracePeriodSeconds == nil {
		spec.TerminationGracePeriodSeconds = ptr(DefaultTerminationGracePeriod)
	}
	if spec.SecurityContext == nil {
		spec.SecurityContext = &corev1.PodSecurityContext{}
	}
	for i := range spec.InitContainers {
		defaultContainer(&spec.InitContainers[i])
	}
	for i := range spec.Containers {
		defaultContainer(&spec.Containers[i])
	}
	for i := range spec.EphemeralContainers {
		c := corev1.Container(spec.EphemeralContainers[i].EphemeralContainerCommon)
		defaultContainer(&c)
		spec.EphemeralContainers[i].EphemeralContainerCommon = corev1.EphemeralContainerCommon(c)
	}
	for i := range spec.Volumes {
		defaultVolume(&spec.Volumes[i].VolumeSource)
	}
}

// DefaultPod fills a Pod's spec: DefaultPodSpec plus what SetDefaults_Pod
// adds for pods alone.
func DefaultPod(pod *corev1.Pod) {
	DefaultPodSpec(&pod.Spec)
	spec := &pod.Spec
	if spec.EnableServiceLinks == nil {
		spec.EnableServiceLinks = ptr(corev1.DefaultEnableServiceLinks)
	}
	for _, cs := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for i := range cs {
			requestsFromLimits(&cs[i].Resources)
			if spec.HostNetwork {
				hostNetworkPorts(cs[i].Ports)
			}
		}
	}
}

// requestsFromLimits copies every limit without a request into requests:
// a limit alone means the container asks for exactly that much.
func requestsFromLimits(r *corev1.ResourceRequirements) {
	if len(r.Limits) == 0 {
		return
	}
	if r.Requests == nil {
		r.Requests = corev1.ResourceList{}
	}
	for name, q := range r.Limits {
		if _, ok := r.Requests[name]; !ok {
			r.Requests[name] = q.DeepCopy()
		}
	}
}

// hostNetworkPorts makes hostPort equal containerPort, as it must be on
// the host network.
func hostNetworkPorts(ports []corev1.ContainerPort) {
	for i := range ports {
		if ports[i].HostPort == 0 {
			ports[i].HostPort = ports[i].ContainerPort
		}
	}
}

func defaultContainer(c *corev1.Container) {
	setString(&c.ImagePullPolicy, pullPolicy(c.Image))
	setString(&c.TerminationMessagePath, DefaultTerminationMessagePath)
	setString(&c.TerminationMessagePolicy, corev1.TerminationMessageReadFile)
	for i := range c.Ports {
		setString(&c.Ports[i].Protocol, corev1.ProtocolTCP)
	}
	for i := range c.Env {
		if f := c.Env[i].ValueFrom; f != nil && f.FieldRef != nil {
			setString(&f.FieldRef.APIVersion, "v1")
		}
	}
	for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		defaultProbe(p)
	}
	if l := c.Lifecycle; l != nil {
		defaultHandler(l.PostStart)
		defaultHandler(l.PreStop)
	}
}

// pullPolicy is Always for a "latest" image (named so or untagged and
// undigested), IfNotPresent otherwise.
func pullPolicy(image string) corev1.PullPolicy {
	if image == "" {
		return corev1.PullIfNotPresent
	}
	name, digest, _ := strings.Cut(image, "@")
	tag := ""
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		tag = name[i+1:]
	}
	if tag == "latest" || (tag == "" && digest == "") {
		return corev1.PullAlways
	}
	return corev1.PullIfNotPresent
}

func defaultProbe(p *corev1.Probe) {
	if p == nil {
		return
	}
	setInt(&p.TimeoutSeconds, 1)
	setInt(&p.PeriodSeconds, 10)
	setInt(&p.SuccessThreshold, 1)
	setInt(&p.FailureThreshold, 3)
	defaultHTTPGet(p.HTTPGet)
}

func defaultHandler(h *corev1.LifecycleHandler) {
	if h != nil {
		defaultHTTPGet(h.HTTPGet)
	}
}

func defaultHTTPGet(h *corev1.HTTPGetAction) {
	if h == nil {
		return
	}
	setString(&h.Path, "/")
	setString(&h.Scheme, corev1.URISchemeHTTP)
}

func defaultVolume(v *corev1.VolumeSource) {
	switch {
	case v.Secret != nil:
		setMode(&v.Secret.DefaultMode)
	case v.ConfigMap != nil:
		setMode(&v.ConfigMap.DefaultMode)
	case v.DownwardAPI != nil:
		setMode(&v.DownwardAPI.DefaultMode)
		for i := range v.DownwardAPI.Items {
			if f := v.DownwardAPI.Items[i].FieldRef; f != nil {
				setString(&f.APIVersion, "v1")
			}
		}
	case v.Projected != nil:
		setMode(&v.Projected.DefaultMode)
		defaultProjections(v.Projected.Sources)
	case v.HostPath != nil:
		if v.HostPath.Type == nil {
			v.HostPath.Type = ptr(corev1.HostPathUnset)
		}
	case v.ISCSI != nil:
		setString(&v.ISCSI.ISCSIInterface, "default")
	case v.Ephemeral != nil && v.Ephemeral.VolumeClaimTemplate != nil:
		DefaultClaimSpec(&v.Ephemeral.VolumeClaimTemplate.Spec)
	}
}

func defaultProjections(sources []corev1.VolumeProjection) {
	for i := range sources {
		if t := sources[i].ServiceAccountToken; t != nil && t.ExpirationSeconds == nil {
			t.ExpirationSeconds = ptr(int64(3600))
		}
		if d := sources[i].DownwardAPI; d != nil {
			for j := range d.Items {
				if f := d.Items[j].FieldRef; f != nil {
					setString(&f.APIVersion, "v1")
				}
			}
		}
	}
}

// DefaultClaimSpec fills a PersistentVolumeClaim spec (also used in
// ephemeral volumes and StatefulSet claim templates).
func DefaultClaimSpec(s *corev1.PersistentVolumeClaimSpec) {
	if s.VolumeMode == nil {
		s.VolumeMode = ptr(corev1.PersistentVolumeFilesystem)
	}
}

func setMode(m **int32) {
	if *m == nil {
		*m = ptr(defaultVolumeMode)
	}
}

func setString[T ~string](p *T, v T) {
	if *p == "" {
		*p = v
	}
}

func setInt(p *int32, v int32) {
	if *p == 0 {
		*p = v
	}
}

func ptr[T any](v T) *T { return &v }
