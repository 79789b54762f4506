package podspec

import (
	"github.com/skiff-sh/skiff/internal/registry/rest"

	"fmt"
	"math"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidatePodTemplate checks a workload's pod template: its labels and
// annotations and its spec.
func ValidatePodTemplate(t *corev1.PodTemplateSpec, p *field.Path) field.ErrorList {
	mp := p.Child("metadata")
	errs := metavalidation.ValidateLabels(t.Labels, mp.Child("labels"))
	errs = append(errs, apivalidation.ValidateAnnotations(t.Annotations, mp.Child("annotations"))...)
	return append(errs, ValidatePodSpec(&t.Spec, p.Child("spec"))...)
}

// ValidatePodSpec checks a pod spec as Kubernetes' validatePodSpec does,
// for the fields clients commonly set.
func ValidatePodSpec(spec *corev1.PodSpec, p *field.Path) field.ErrorList {
	vols, errs := validateVolumes(spec.Volumes, p.Child("volumes"))
	names := sets.New[string]()
	errs = append(errs, validateContainers(spec.InitContainers, vols, names, true, p.Child("initContainers"))...)
	if len(spec.Containers) == 0 {
		errs = append(errs, field.Required(p.Child("containers"), ""))
	}
	errs = append(errs, validateContainers(spec.Containers, vols, names, false, p.Child("containers"))...)
	errs = append(errs, validateEphemeralContainers(spec.EphemeralContainers, names, p.Child("ephemeralContainers"))...)
	errs = append(errs, validateHostPorts(spec, p)...)
	errs = append(errs, rest.Enum(spec.RestartPolicy, p.Child("restartPolicy"), corev1.RestartPolicyAlways, corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever)...)
	errs = append(errs, validateDNS(spec, p)...)
	errs = append(errs, metavalidation.ValidateLabels(spec.NodeSelector, p.Child("nodeSelector"))...)
	errs = append(errs, ValidateTolerations(spec.Tolerations, p.Child("tolerations"))...)
	errs = append(errs, validateNames(spec, p)...)
	if g := spec.TerminationGracePeriodSeconds; g != nil {
		errs = append(errs, apivalidation.ValidateNonnegativeField(*g, p.Child("terminationGracePeriodSeconds"))...)
	}
	if d := spec.ActiveDeadlineSeconds; d != nil && (*d < 1 || *d > math.MaxInt32) {
		errs = append(errs, field.Invalid(p.Child("activeDeadlineSeconds"), *d, validation.InclusiveRangeError(1, math.MaxInt32)))
	}
	return errs
}

// validateNames checks the names a pod spec refers to by name.
func validateNames(spec *corev1.PodSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	check := func(v string, fp *field.Path, fn func(string) []string) {
		if v == "" {
			return
		}
		for _, msg := range fn(v) {
			errs = append(errs, field.Invalid(fp, v, msg))
		}
	}
	check(spec.ServiceAccountName, p.Child("serviceAccountName"), content.IsDNS1123Subdomain)
	check(spec.NodeName, p.Child("nodeName"), content.IsDNS1123Subdomain)
	check(spec.Hostname, p.Child("hostname"), content.IsDNS1123Label)
	check(spec.Subdomain, p.Child("subdomain"), content.IsDNS1123Label)
	check(spec.PriorityClassName, p.Child("priorityClassName"), content.IsDNS1123Subdomain)
	for i, s := range spec.ImagePullSecrets {
		if s.Name == "" {
			errs = append(errs, field.Required(p.Child("imagePullSecrets").Index(i).Child("name"), ""))
		}
	}
	return errs
}

func validateDNS(spec *corev1.PodSpec, p *field.Path) field.ErrorList {
	errs := rest.Enum(spec.DNSPolicy, p.Child("dnsPolicy"), corev1.DNSClusterFirstWithHostNet, corev1.DNSClusterFirst, corev1.DNSDefault, corev1.DNSNone)
	cfg, cp := spec.DNSConfig, p.Child("dnsConfig")
	if spec.DNSPolicy == corev1.DNSNone && (cfg == nil || len(cfg.Nameservers) == 0) {
		return append(errs, field.Required(cp.Child("nameservers"), "must provide at least one DNS nameserver when `dnsPolicy` is None"))
	}
	if cfg == nil {
		return errs
	}
	if len(cfg.Nameservers) > 3 {
		errs = append(errs, field.Invalid(cp.Child("nameservers"), cfg.Nameservers, "must not have more than 3 nameservers"))
	}
	for i, ns := range cfg.Nameservers {
		errs = append(errs, validation.IsValidIP(cp.Child("nameservers").Index(i), ns)...)
	}
	return errs
}

// validateContainers checks init (init=true) or app containers; names
// collects container names, which are unique across all kinds.
func validateContainers(cs []corev1.Container, vols sets.Set[string], names sets.Set[string], init bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i := range cs {
		c, ip := &cs[i], p.Index(i)
		errs = append(errs, validateContainerName(c.Name, names, ip.Child("name"))...)
		errs = append(errs, validateImage(c.Image, ip.Child("image"))...)
		errs = append(errs, validatePorts(c.Ports, ip.Child("ports"))...)
		errs = append(errs, validateEnv(c.Env, ip.Child("env"))...)
		errs = append(errs, validateMounts(c.VolumeMounts, vols, ip.Child("volumeMounts"))...)
		errs = append(errs, validateResources(&c.Resources, ip.Child("resources"))...)
		errs = append(errs, rest.Enum(c.ImagePullPolicy, ip.Child("imagePullPolicy"), corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever)...)
		errs = append(errs, rest.Enum(c.TerminationMessagePolicy, ip.Child("terminationMessagePolicy"), corev1.TerminationMessageReadFile, corev1.TerminationMessageFallbackToLogsOnError)...)
		errs = append(errs, validateLifecycle(c, init, ip)...)
	}
	return errs
}

func validateContainerName(name string, names sets.Set[string], p *field.Path) field.ErrorList {
	switch {
	case name == "":
		return field.ErrorList{field.Required(p, "")}
	case names.Has(name):
		return field.ErrorList{field.Duplicate(p, name)}
	}
	names.Insert(name)
	var errs field.ErrorList
	for _, msg := range content.IsDNS1123Label(name) {
		errs = append(errs, field.Invalid(p, name, msg))
	}
	return errs
}

func validateImage(image string, p *field.Path) field.ErrorList {
	switch {
	case image == "":
		return field.ErrorList{field.Required(p, "")}
	case strings.TrimSpace(image) != image:
		return field.ErrorList{field.Invalid(p, image, "must not have leading or trailing whitespace")}
	}
	return nil
}

// validateLifecycle checks probes and hooks; a plain init container (not
// a restartPolicy=Always sidecar) may have neither.
func validateLifecycle(c *corev1.Container, init bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	sidecar := false
	if rp := c.RestartPolicy; rp != nil {
		if !init {
			errs = append(errs, field.Forbidden(p.Child("restartPolicy"), "may not be set for non-init containers"))
		} else if *rp != corev1.ContainerRestartPolicyAlways {
			errs = append(errs, field.NotSupported(p.Child("restartPolicy"), *rp, []string{string(corev1.ContainerRestartPolicyAlways)}))
		}
		sidecar = *rp == corev1.ContainerRestartPolicyAlways
	}
	probes := []struct {
		name string
		p    *corev1.Probe
	}{{"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}, {"startupProbe", c.StartupProbe}}
	for _, pr := range probes {
		if pr.p == nil {
			continue
		}
		if init && !sidecar {
			errs = append(errs, field.Forbidden(p.Child(pr.name), "may not be set for init containers without restartPolicy=Always"))
			continue
		}
		errs = append(errs, validateProbe(pr.p, pr.name != "readinessProbe", p.Child(pr.name))...)
	}
	if l := c.Lifecycle; l != nil {
		if init && !sidecar {
			return append(errs, field.Forbidden(p.Child("lifecycle"), "may not be set for init containers without restartPolicy=Always"))
		}
		errs = append(errs, validateLifecycleHandler(l.PostStart, p.Child("lifecycle", "postStart"))...)
		errs = append(errs, validateLifecycleHandler(l.PreStop, p.Child("lifecycle", "preStop"))...)
	}
	return errs
}

func validateEphemeralContainers(cs []corev1.EphemeralContainer, names sets.Set[string], p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i := range cs {
		c, ip := &cs[i], p.Index(i)
		errs = append(errs, validateContainerName(c.Name, names, ip.Child("name"))...)
		errs = append(errs, validateImage(c.Image, ip.Child("image"))...)
		errs = append(errs, validateEnv(c.Env, ip.Child("env"))...)
		if len(c.Ports) > 0 {
			errs = append(errs, field.Forbidden(ip.Child("ports"), "cannot be set for an Ephemeral Container"))
		}
	}
	return errs
}

// validatePorts checks one container's ports; their names are unique
// within the container.
func validatePorts(ports []corev1.ContainerPort, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	names := sets.New[string]()
	for i, port := range ports {
		ip := p.Index(i)
		if port.Name != "" {
			if msgs := validation.IsValidPortName(port.Name); len(msgs) > 0 {
				for _, msg := range msgs {
					errs = append(errs, field.Invalid(ip.Child("name"), port.Name, msg))
				}
			} else if names.Has(port.Name) {
				errs = append(errs, field.Duplicate(ip.Child("name"), port.Name))
			}
			names.Insert(port.Name)
		}
		if port.ContainerPort == 0 {
			errs = append(errs, field.Required(ip.Child("containerPort"), ""))
		} else {
			errs = append(errs, rest.PortNumber(port.ContainerPort, ip.Child("containerPort"))...)
		}
		if port.HostPort != 0 {
			errs = append(errs, rest.PortNumber(port.HostPort, ip.Child("hostPort"))...)
		}
		errs = append(errs, ValidateProtocol(port.Protocol, ip.Child("protocol"))...)
	}
	return errs
}

// validateHostPorts refuses two containers binding the same host port.
func validateHostPorts(spec *corev1.PodSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := sets.New[string]()
	for ci, c := range spec.Containers {
		for pi, port := range c.Ports {
			// On the host network the container listens on the host port.
			if spec.HostNetwork && port.HostPort != port.ContainerPort {
				errs = append(errs, field.Invalid(p.Child("containers").Index(ci).Child("ports").Index(pi).Child("containerPort"), port.ContainerPort, "must match `hostPort` when `hostNetwork` is true"))
			}
			if port.HostPort == 0 {
				continue
			}
			key := fmt.Sprintf("%s/%d/%s", port.HostIP, port.HostPort, port.Protocol)
			if seen.Has(key) {
				errs = append(errs, field.Duplicate(p.Child("containers").Index(ci).Child("ports").Index(pi).Child("hostPort"), fmt.Sprintf("%d/%s", port.HostPort, port.Protocol)))
			}
			seen.Insert(key)
		}
	}
	return errs
}

// ValidateProtocol checks a port protocol: TCP, UDP or SCTP.
func ValidateProtocol(proto corev1.Protocol, p *field.Path) field.ErrorList {
	return rest.Enum(proto, p, corev1.ProtocolSCTP, corev1.ProtocolTCP, corev1.ProtocolUDP)
}

func validateEnv(env []corev1.EnvVar, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, ev := range env {
		ip := p.Index(i)
		if ev.Name == "" {
			errs = append(errs, field.Required(ip.Child("name"), ""))
		}
		for _, msg := range validation.IsRelaxedEnvVarName(ev.Name) {
			if ev.Name != "" {
				errs = append(errs, field.Invalid(ip.Child("name"), ev.Name, msg))
			}
		}
		errs = append(errs, validateEnvSource(ev, ip.Child("valueFrom"))...)
	}
	return errs
}

func validateEnvSource(ev corev1.EnvVar, p *field.Path) field.ErrorList {
	f := ev.ValueFrom
	if f == nil {
		return nil
	}
	n := countSet(f.FieldRef != nil, f.ResourceFieldRef != nil, f.ConfigMapKeyRef != nil, f.SecretKeyRef != nil, f.FileKeyRef != nil)
	switch {
	case ev.Value != "":
		return field.ErrorList{field.Invalid(p, "", "may not be specified when `value` is not empty")}
	case n == 0:
		return field.ErrorList{field.Invalid(p, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`")}
	case n > 1:
		return field.ErrorList{field.Invalid(p, "", "may not have more than one field specified at a time")}
	}
	var errs field.ErrorList
	keyRef := func(name, key string, kp *field.Path) {
		if key == "" {
			errs = append(errs, field.Required(kp.Child("key"), ""))
		}
		for _, msg := range validation.IsConfigMapKey(key) {
			if key != "" {
				errs = append(errs, field.Invalid(kp.Child("key"), key, msg))
			}
		}
		if name == "" {
			errs = append(errs, field.Required(kp.Child("name"), ""))
		}
	}
	switch {
	case f.FieldRef != nil && f.FieldRef.FieldPath == "":
		errs = append(errs, field.Required(p.Child("fieldRef", "fieldPath"), ""))
	case f.ResourceFieldRef != nil && f.ResourceFieldRef.Resource == "":
		errs = append(errs, field.Required(p.Child("resourceFieldRef", "resource"), ""))
	case f.ConfigMapKeyRef != nil:
		keyRef(f.ConfigMapKeyRef.Name, f.ConfigMapKeyRef.Key, p.Child("configMapKeyRef"))
	case f.SecretKeyRef != nil:
		keyRef(f.SecretKeyRef.Name, f.SecretKeyRef.Key, p.Child("secretKeyRef"))
	}
	return errs
}

func validateMounts(mounts []corev1.VolumeMount, vols sets.Set[string], p *field.Path) field.ErrorList {
	var errs field.ErrorList
	paths := sets.New[string]()
	for i, m := range mounts {
		ip := p.Index(i)
		switch {
		case m.Name == "":
			errs = append(errs, field.Required(ip.Child("name"), ""))
		case !vols.Has(m.Name):
			errs = append(errs, field.NotFound(ip.Child("name"), m.Name))
		}
		switch {
		case m.MountPath == "":
			errs = append(errs, field.Required(ip.Child("mountPath"), ""))
		case paths.Has(m.MountPath):
			errs = append(errs, field.Invalid(ip.Child("mountPath"), m.MountPath, "must be unique"))
		}
		paths.Insert(m.MountPath)
		if m.SubPath != "" {
			errs = append(errs, ValidateLocalDescendingPath(m.SubPath, ip.Child("subPath"))...)
		}
	}
	return errs
}

// ValidateLocalDescendingPath checks a path stays inside its root: it is
// relative and has no ".." element.
func ValidateLocalDescendingPath(target string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if path.IsAbs(target) {
		errs = append(errs, field.Invalid(p, target, "must be a relative path"))
	}
	for _, part := range strings.Split(target, "/") {
		if part == ".." {
			errs = append(errs, field.Invalid(p, target, "must not contain '..'"))
			break
		}
	}
	return errs
}

func validateProbe(pr *corev1.Probe, successMustBeOne bool, p *field.Path) field.ErrorList {
	errs := validateHandler(pr.Exec != nil, pr.HTTPGet, pr.TCPSocket, pr.GRPC != nil, false, p)
	if pr.Exec != nil && len(pr.Exec.Command) == 0 {
		errs = append(errs, field.Required(p.Child("exec", "command"), ""))
	}
	if pr.GRPC != nil {
		errs = append(errs, rest.PortNumber(pr.GRPC.Port, p.Child("grpc", "port"))...)
	}
	for _, f := range []struct {
		name string
		v    int32
	}{{"initialDelaySeconds", pr.InitialDelaySeconds}, {"timeoutSeconds", pr.TimeoutSeconds}, {"periodSeconds", pr.PeriodSeconds}, {"successThreshold", pr.SuccessThreshold}, {"failureThreshold", pr.FailureThreshold}} {
		errs = append(errs, apivalidation.ValidateNonnegativeField(int64(f.v), p.Child(f.name))...)
	}
	if successMustBeOne && pr.SuccessThreshold != 1 {
		errs = append(errs, field.Invalid(p.Child("successThreshold"), pr.SuccessThreshold, "must be 1"))
	}
	if g := pr.TerminationGracePeriodSeconds; g != nil && *g <= 0 {
		errs = append(errs, field.Invalid(p.Child("terminationGracePeriodSeconds"), *g, "must be greater than 0"))
	}
	return errs
}

func validateLifecycleHandler(h *corev1.LifecycleHandler, p *field.Path) field.ErrorList {
	if h == nil {
		return nil
	}
	errs := validateHandler(h.Exec != nil, h.HTTPGet, h.TCPSocket, false, h.Sleep != nil, p)
	if h.Exec != nil && len(h.Exec.Command) == 0 {
		errs = append(errs, field.Required(p.Child("exec", "command"), ""))
	}
	return errs
}

// validateHandler checks that exactly one action of a probe or hook is
// set, and the network ones.
func validateHandler(exec bool, http *corev1.HTTPGetAction, tcp *corev1.TCPSocketAction, grpc, sleep bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	n := 0
	for _, h := range []struct {
		name string
		set  bool
	}{{"exec", exec}, {"httpGet", http != nil}, {"tcpSocket", tcp != nil}, {"grpc", grpc}, {"sleep", sleep}} {
		if !h.set {
			continue
		}
		if n++; n > 1 {
			errs = append(errs, field.Forbidden(p.Child(h.name), "may not specify more than 1 handler type"))
		}
	}
	if n == 0 {
		return append(errs, field.Required(p, "must specify a handler type"))
	}
	if http != nil {
		hp := p.Child("httpGet")
		if http.Path == "" {
			errs = append(errs, field.Required(hp.Child("path"), ""))
		}
		errs = append(errs, ValidatePortNumOrName(http.Port, hp.Child("port"))...)
		errs = append(errs, rest.Enum(http.Scheme, hp.Child("scheme"), corev1.URISchemeHTTP, corev1.URISchemeHTTPS)...)
	}
	if tcp != nil {
		errs = append(errs, ValidatePortNumOrName(tcp.Port, p.Child("tcpSocket", "port"))...)
	}
	return errs
}

func countSet(set ...bool) int {
	n := 0
	for _, s := range set {
		if s {
			n++
		}
	}
	return n
}
