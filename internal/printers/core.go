package printers

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func coreKind(kind string) schema.GroupVersionKind {
	return corev1.SchemeGroupVersion.WithKind(kind)
}

var coreKinds = map[schema.GroupVersionKind]printer{
	coreKind("Pod"):                   {podColumns, typed(podRow)},
	coreKind("Namespace"):             {namespaceColumns, typed(namespaceRow)},
	coreKind("Service"):               {serviceColumns, typed(serviceRow)},
	coreKind("Endpoints"):             {endpointsColumns, typed(endpointsRow)},
	coreKind("Node"):                  {nodeColumns, typed(nodeRow)},
	coreKind("ConfigMap"):             {configMapColumns, typed(configMapRow)},
	coreKind("Secret"):                {secretColumns, typed(secretRow)},
	coreKind("ServiceAccount"):        {serviceAccountColumns, typed(serviceAccountRow)},
	coreKind("Event"):                 {eventColumns, typed(eventRow)},
	coreKind("PersistentVolume"):      {pvColumns, typed(pvRow)},
	coreKind("PersistentVolumeClaim"): {pvcColumns, typed(pvcRow)},
	coreKind("ResourceQuota"):         {quotaColumns, typed(quotaRow)},
	coreKind("ReplicationController"): {rcColumns, typed(rcRow)},
	coreKind("PodTemplate"):           {podTemplateColumns, typed(podTemplateRow)},
}

var namespaceColumns = []metav1.TableColumnDefinition{
	nameColumn, col("Status", "string", "The status of the namespace"), ageColumn,
}

func namespaceRow(ns *corev1.Namespace, now time.Time) []any {
	return []any{ns.Name, string(ns.Status.Phase), age(ns.CreationTimestamp, now)}
}

var serviceColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Type", "string", corev1.ServiceSpec{}.SwaggerDoc()["type"]),
	col("Cluster-IP", "string", corev1.ServiceSpec{}.SwaggerDoc()["clusterIP"]),
	col("External-IP", "string", corev1.ServiceSpec{}.SwaggerDoc()["externalIPs"]),
	col("Port(s)", "string", corev1.ServiceSpec{}.SwaggerDoc()["ports"]),
	ageColumn,
	wide("Selector", "string", corev1.ServiceSpec{}.SwaggerDoc()["selector"]),
}

func serviceRow(svc *corev1.Service, now time.Time) []any {
	clusterIP := svc.Spec.ClusterIP
	if len(svc.Spec.ClusterIPs) > 0 {
		clusterIP = svc.Spec.ClusterIPs[0]
	}
	return []any{svc.Name, string(svc.Spec.Type), orNone(clusterIP), serviceExternalIP(svc), orNone(servicePorts(svc.Spec.Ports)), age(svc.CreationTimestamp, now), labels.FormatLabels(svc.Spec.Selector)}
}

// serviceExternalIP is the EXTERNAL-IP column. Rows are always rendered
// for -o wide, so load balancer addresses are never cut, as in Kubernetes'
// server-side tables.
func serviceExternalIP(svc *corev1.Service) string {
	switch svc.Spec.Type {
	case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort:
		return orNone(strings.Join(svc.Spec.ExternalIPs, ","))
	case corev1.ServiceTypeLoadBalancer:
		all := loadBalancerAddresses(svc.Status.LoadBalancer.Ingress)
		all = append(all, svc.Spec.ExternalIPs...)
		if len(all) == 0 {
			return "<pending>"
		}
		return strings.Join(all, ",")
	case corev1.ServiceTypeExternalName:
		return svc.Spec.ExternalName
	}
	return "<unknown>"
}

// loadBalancerAddresses returns the sorted, distinct IPs or hostnames.
func loadBalancerAddresses(ing []corev1.LoadBalancerIngress) []string {
	set := map[string]bool{}
	for _, in := range ing {
		if in.IP != "" {
			set[in.IP] = true
		} else if in.Hostname != "" {
			set[in.Hostname] = true
		}
	}
	return sortedSet(set)
}

// servicePorts formats ports as "80/TCP" or "80:30080/TCP".
func servicePorts(ports []corev1.ServicePort) string {
	out := make([]string, len(ports))
	for i, p := range ports {
		out[i] = fmt.Sprintf("%d/%s", p.Port, p.Protocol)
		if p.NodePort > 0 {
			out[i] = fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, p.Protocol)
		}
	}
	return strings.Join(out, ",")
}

var endpointsColumns = []metav1.TableColumnDefinition{
	nameColumn, col("Endpoints", "string", corev1.Endpoints{}.SwaggerDoc()["subsets"]), ageColumn,
}

func endpointsRow(ep *corev1.Endpoints, now time.Time) []any {
	return []any{ep.Name, formatEndpoints(ep), age(ep.CreationTimestamp, now)}
}

// formatEndpoints lists up to three ip:port pairs (bare IPs for subsets
// without ports) and counts the rest.
func formatEndpoints(ep *corev1.Endpoints) string {
	if len(ep.Subsets) == 0 {
		return "<none>"
	}
	const max = 3
	var list []string
	count := 0
	add := func(s string) {
		count++
		if len(list) < max {
			list = append(list, s)
		}
	}
	for _, ss := range ep.Subsets {
		if len(ss.Ports) == 0 {
			for _, a := range ss.Addresses {
				add(a.IP)
			}
			continue
		}
		for _, p := range ss.Ports {
			for _, a := range ss.Addresses {
				add(net.JoinHostPort(a.IP, strconv.Itoa(int(p.Port))))
			}
		}
	}
	if count > max {
		return fmt.Sprintf("%s + %d more...", strings.Join(list, ","), count-max)
	}
	return strings.Join(list, ",")
}

var nodeColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Status", "string", "The status of the node"),
	col("Roles", "string", "The roles of the node"),
	ageColumn,
	col("Version", "string", corev1.NodeSystemInfo{}.SwaggerDoc()["kubeletVersion"]),
	wide("Internal-IP", "string", corev1.NodeStatus{}.SwaggerDoc()["addresses"]),
	wide("External-IP", "string", corev1.NodeStatus{}.SwaggerDoc()["addresses"]),
	wide("OS-Image", "string", corev1.NodeSystemInfo{}.SwaggerDoc()["osImage"]),
	wide("Kernel-Version", "string", corev1.NodeSystemInfo{}.SwaggerDoc()["kernelVersion"]),
	wide("Container-Runtime", "string", corev1.NodeSystemInfo{}.SwaggerDoc()["containerRuntimeVersion"]),
}

func nodeRow(n *corev1.Node, now time.Time) []any {
	info := n.Status.NodeInfo
	return []any{
		n.Name, nodeStatus(n), orNone(strings.Join(nodeRoles(n), ",")), age(n.CreationTimestamp, now), info.KubeletVersion,
		nodeAddress(n, corev1.NodeInternalIP), nodeAddress(n, corev1.NodeExternalIP),
		orUnknown(info.OSImage), orUnknown(info.KernelVersion), orUnknown(info.ContainerRuntimeVersion),
	}
}

// nodeStatus is "Ready", "NotReady" or "Unknown", with
// ",SchedulingDisabled" for cordoned nodes.
func nodeStatus(n *corev1.Node) string {
	status := "Unknown"
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			status = "NotReady"
			if c.Status == corev1.ConditionTrue {
				status = "Ready"
			}
		}
	}
	if n.Spec.Unschedulable {
		status += ",SchedulingDisabled"
	}
	return status
}

// nodeRoles reads node-role.kubernetes.io/ROLE keys and the value of
// kubernetes.io/role, sorted.
func nodeRoles(n *corev1.Node) []string {
	roles := map[string]bool{}
	for k, v := range n.Labels {
		if role, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && role != "" {
			roles[role] = true
		} else if k == "kubernetes.io/role" && v != "" {
			roles[v] = true
		}
	}
	return sortedSet(roles)
}

func nodeAddress(n *corev1.Node, t corev1.NodeAddressType) string {
	for _, a := range n.Status.Addresses {
		if a.Type == t {
			return a.Address
		}
	}
	return "<none>"
}

func orUnknown(s string) string {
	if s == "" {
		return "<unknown>"
	}
	return s
}

var configMapColumns = []metav1.TableColumnDefinition{
	nameColumn, col("Data", "string", corev1.ConfigMap{}.SwaggerDoc()["data"]), ageColumn,
}

func configMapRow(cm *corev1.ConfigMap, now time.Time) []any {
	return []any{cm.Name, int64(len(cm.Data) + len(cm.BinaryData)), age(cm.CreationTimestamp, now)}
}

var secretColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Type", "string", corev1.Secret{}.SwaggerDoc()["type"]),
	col("Data", "string", corev1.Secret{}.SwaggerDoc()["data"]),
	ageColumn,
}

func secretRow(s *corev1.Secret, now time.Time) []any {
	return []any{s.Name, string(s.Type), int64(len(s.Data)), age(s.CreationTimestamp, now)}
}

var serviceAccountColumns = []metav1.TableColumnDefinition{
	nameColumn, col("Secrets", "string", corev1.ServiceAccount{}.SwaggerDoc()["secrets"]), ageColumn,
}

func serviceAccountRow(sa *corev1.ServiceAccount, now time.Time) []any {
	return []any{sa.Name, int64(len(sa.Secrets)), age(sa.CreationTimestamp, now)}
}

var pvColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Capacity", "string", corev1.PersistentVolumeSpec{}.SwaggerDoc()["capacity"]),
	col("Access Modes", "string", corev1.PersistentVolumeSpec{}.SwaggerDoc()["accessModes"]),
	col("Reclaim Policy", "string", corev1.PersistentVolumeSpec{}.SwaggerDoc()["persistentVolumeReclaimPolicy"]),
	col("Status", "string", corev1.PersistentVolumeStatus{}.SwaggerDoc()["phase"]),
	col("Claim", "string", corev1.PersistentVolumeSpec{}.SwaggerDoc()["claimRef"]),
	col("StorageClass", "string", "StorageClass of the pv"),
	col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pv"),
	col("Reason", "string", corev1.PersistentVolumeStatus{}.SwaggerDoc()["reason"]),
	ageColumn,
	wide("VolumeMode", "string", corev1.PersistentVolumeSpec{}.SwaggerDoc()["volumeMode"]),
}

// betaStorageClassAnnotation overrides spec.storageClassName when set.
const betaStorageClassAnnotation = "volume.beta.kubernetes.io/storage-class"

func pvRow(pv *corev1.PersistentVolume, now time.Time) []any {
	claim := ""
	if ref := pv.Spec.ClaimRef; ref != nil {
		claim = ref.Namespace + "/" + ref.Name
	}
	phase := string(pv.Status.Phase)
	if pv.DeletionTimestamp != nil {
		phase = "Terminating"
	}
	class, ok := pv.Annotations[betaStorageClassAnnotation]
	if !ok {
		class = pv.Spec.StorageClassName
	}
	capacity := pv.Spec.Capacity[corev1.ResourceStorage]
	return []any{
		pv.Name, capacity.String(), accessModes(pv.Spec.AccessModes), string(pv.Spec.PersistentVolumeReclaimPolicy),
		phase, claim, class, unsetOr(pv.Spec.VolumeAttributesClassName), pv.Status.Reason, age(pv.CreationTimestamp, now), volumeMode(pv.Spec.VolumeMode),
	}
}

var pvcColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Status", "string", corev1.PersistentVolumeClaimStatus{}.SwaggerDoc()["phase"]),
	col("Volume", "string", corev1.PersistentVolumeClaimSpec{}.SwaggerDoc()["volumeName"]),
	col("Capacity", "string", corev1.PersistentVolumeClaimStatus{}.SwaggerDoc()["capacity"]),
	col("Access Modes", "string", corev1.PersistentVolumeClaimStatus{}.SwaggerDoc()["accessModes"]),
	col("StorageClass", "string", "StorageClass of the pvc"),
	col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pvc"),
	ageColumn,
	wide("VolumeMode", "string", corev1.PersistentVolumeClaimSpec{}.SwaggerDoc()["volumeMode"]),
}

func pvcRow(pvc *corev1.PersistentVolumeClaim, now time.Time) []any {
	phase := string(pvc.Status.Phase)
	if pvc.DeletionTimestamp != nil {
		phase = "Terminating"
	}
	capacity, modes := "", ""
	if pvc.Spec.VolumeName != "" {
		q := pvc.Status.Capacity[corev1.ResourceStorage]
		capacity, modes = q.String(), accessModes(pvc.Status.AccessModes)
	}
	class, ok := pvc.Annotations[betaStorageClassAnnotation]
	if !ok && pvc.Spec.StorageClassName != nil {
		class = *pvc.Spec.StorageClassName
	}
	return []any{
		pvc.Name, phase, pvc.Spec.VolumeName, capacity, modes, class,
		unsetOr(pvc.Spec.VolumeAttributesClassName), age(pvc.CreationTimestamp, now), volumeMode(pvc.Spec.VolumeMode),
	}
}

// accessModes abbreviates access modes (RWO, ROX, RWX, RWOP) in that
// fixed order, without duplicates.
func accessModes(modes []corev1.PersistentVolumeAccessMode) string {
	var out []string
	for _, m := range []struct {
		mode  corev1.PersistentVolumeAccessMode
		short string
	}{{corev1.ReadWriteOnce, "RWO"}, {corev1.ReadOnlyMany, "ROX"}, {corev1.ReadWriteMany, "RWX"}, {corev1.ReadWriteOncePod, "RWOP"}} {
		for _, have := range modes {
			if have == m.mode {
				out = append(out, m.short)
				break
			}
		}
	}
	return strings.Join(out, ",")
}

func volumeMode(m *corev1.PersistentVolumeMode) string {
	if m == nil {
		return "<unset>"
	}
	return string(*m)
}

func unsetOr(s *string) string {
	if s == nil {
		return "<unset>"
	}
	return *s
}

var quotaColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Request", "string", "Request represents a minimum amount of cpu/memory that a container may consume."),
	col("Limit", "string", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node."),
	ageColumn,
}

// quotaRow lists "resource: used/hard" for each hard limit, limits.* in
// the Limit column and the rest in Request.
func quotaRow(q *corev1.ResourceQuota, now time.Time) []any {
	names := make([]string, 0, len(q.Status.Hard))
	for n := range q.Status.Hard {
		names = append(names, string(n))
	}
	sort.Strings(names)
	var requests, limits []string
	for _, n := range names {
		used, hard := q.Status.Used[corev1.ResourceName(n)], q.Status.Hard[corev1.ResourceName(n)]
		entry := fmt.Sprintf("%s: %s/%s", n, used.String(), hard.String())
		if prefix, _, ok := strings.Cut(n, "."); ok && prefix == "limits" {
			limits = append(limits, entry)
		} else {
			requests = append(requests, entry)
		}
	}
	return []any{q.Name, strings.Join(requests, ", "), strings.Join(limits, ", "), age(q.CreationTimestamp, now)}
}

var rcColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Desired", "integer", corev1.ReplicationControllerSpec{}.SwaggerDoc()["replicas"]),
	col("Current", "integer", corev1.ReplicationControllerStatus{}.SwaggerDoc()["replicas"]),
	col("Ready", "integer", corev1.ReplicationControllerStatus{}.SwaggerDoc()["readyReplicas"]),
	ageColumn,
	containersColumn,
	imagesColumn,
	wide("Selector", "string", corev1.ReplicationControllerSpec{}.SwaggerDoc()["selector"]),
}

func rcRow(rc *corev1.ReplicationController, now time.Time) []any {
	var containers []corev1.Container
	if rc.Spec.Template != nil {
		containers = rc.Spec.Template.Spec.Containers
	}
	names, images := containerCells(containers)
	return []any{rc.Name, replicas(rc.Spec.Replicas), int64(rc.Status.Replicas), int64(rc.Status.ReadyReplicas), age(rc.CreationTimestamp, now), names, images, labels.FormatLabels(rc.Spec.Selector)}
}

// podTemplateColumns are Kubernetes': no age, the containers and images
// shown by default.
var podTemplateColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Containers", "string", containersColumn.Description),
	col("Images", "string", imagesColumn.Description),
	col("Pod Labels", "string", "The labels for the pod template."),
}

func podTemplateRow(pt *corev1.PodTemplate, _ time.Time) []any {
	names, images := containerCells(pt.Template.Spec.Containers)
	return []any{pt.Name, names, images, labels.FormatLabels(pt.Template.Labels)}
}
