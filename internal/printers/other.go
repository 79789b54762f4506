package printers

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var otherKinds = map[schema.GroupVersionKind]printer{
	eventsv1.SchemeGroupVersion.WithKind("Event"):               {eventColumns, typed(newEventRow)},
	coordinationv1.SchemeGroupVersion.WithKind("Lease"):         {leaseColumns, typed(leaseRow)},
	discoveryv1.SchemeGroupVersion.WithKind("EndpointSlice"):    {sliceColumns, typed(sliceRow)},
	networkingv1.SchemeGroupVersion.WithKind("Ingress"):         {ingressColumns, typed(ingressRow)},
	networkingv1.SchemeGroupVersion.WithKind("IngressClass"):    {ingressClassColumns, typed(ingressClassRow)},
	networkingv1.SchemeGroupVersion.WithKind("NetworkPolicy"):   {networkPolicyColumns, typed(networkPolicyRow)},
	rbacv1.SchemeGroupVersion.WithKind("RoleBinding"):           {bindingColumns("roleBinding"), typed(roleBindingRow)},
	rbacv1.SchemeGroupVersion.WithKind("ClusterRoleBinding"):    {bindingColumns("clusterRoleBinding"), typed(clusterRoleBindingRow)},
	storagev1.SchemeGroupVersion.WithKind("StorageClass"):       {storageClassColumns, typed(storageClassRow)},
	policyv1.SchemeGroupVersion.WithKind("PodDisruptionBudget"): {pdbColumns, typed(pdbRow)},
	schedulingv1.SchemeGroupVersion.WithKind("PriorityClass"):   {priorityClassColumns, typed(priorityClassRow)},
}

var leaseColumns = []metav1.TableColumnDefinition{
	nameColumn, col("Holder", "string", coordinationv1.LeaseSpec{}.SwaggerDoc()["holderIdentity"]), ageColumn,
}

func leaseRow(l *coordinationv1.Lease, now time.Time) []any {
	holder := ""
	if l.Spec.HolderIdentity != nil {
		holder = *l.Spec.HolderIdentity
	}
	return []any{l.Name, holder, age(l.CreationTimestamp, now)}
}

var sliceColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("AddressType", "string", discoveryv1.EndpointSlice{}.SwaggerDoc()["addressType"]),
	col("Ports", "string", discoveryv1.EndpointSlice{}.SwaggerDoc()["ports"]),
	col("Endpoints", "string", discoveryv1.EndpointSlice{}.SwaggerDoc()["endpoints"]),
	ageColumn,
}

// sliceRow lists up to three ports ("*" for all) and addresses.
func sliceRow(s *discoveryv1.EndpointSlice, now time.Time) []any {
	var ports []string
	for _, p := range s.Ports {
		switch {
		case p.Port != nil:
			ports = append(ports, strconv.Itoa(int(*p.Port)))
		case p.Name != nil:
			ports = append(ports, *p.Name)
		default:
			ports = append(ports, "*")
		}
	}
	var addrs []string
	for _, ep := range s.Endpoints {
		addrs = append(addrs, ep.Addresses...)
	}
	return []any{s.Name, string(s.AddressType), listWithMore(ports, 3), listWithMore(addrs, 3), age(s.CreationTimestamp, now)}
}

var ingressColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Class", "string", "The name of the IngressClass resource that should be used for additional configuration"),
	col("Hosts", "string", "Hosts that incoming requests are matched against before the ingress rule"),
	col("Address", "string", "Address is a list containing ingress points for the load-balancer"),
	col("Ports", "string", "Ports of TLS configurations that open"),
	ageColumn,
}

func ingressRow(ing *networkingv1.Ingress, now time.Time) []any {
	class := "<none>"
	if ing.Spec.IngressClassName != nil {
		class = *ing.Spec.IngressClassName
	}
	set := map[string]bool{}
	for _, in := range ing.Status.LoadBalancer.Ingress {
		if in.IP != "" {
			set[in.IP] = true
		} else if in.Hostname != "" {
			set[in.Hostname] = true
		}
	}
	ports := "80"
	if len(ing.Spec.TLS) != 0 {
		ports = "80, 443"
	}
	return []any{ing.Name, class, ingressHosts(ing.Spec.Rules), strings.Join(sortedSet(set), ","), ports, age(ing.CreationTimestamp, now)}
}

// ingressHosts lists the first three hosts, "*" when no rule has one.
func ingressHosts(rules []networkingv1.IngressRule) string {
	const max = 3
	var hosts []string
	more := false
	for _, r := range rules {
		more = more || len(hosts) == max
		if !more && r.Host != "" {
			hosts = append(hosts, r.Host)
		}
	}
	if len(hosts) == 0 {
		return "*"
	}
	if more {
		return fmt.Sprintf("%s + %d more...", strings.Join(hosts, ","), len(rules)-max)
	}
	return strings.Join(hosts, ",")
}

var ingressClassColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Controller", "string", "Controller that is responsible for handling this class"),
	col("Parameters", "string", "A reference to a resource with additional parameters"),
	ageColumn,
}

func ingressClassRow(ic *networkingv1.IngressClass, now time.Time) []any {
	params := "<none>"
	if p := ic.Spec.Parameters; p != nil {
		params = p.Kind
		if p.APIGroup != nil {
			params += "." + *p.APIGroup
		}
		params += "/" + p.Name
	}
	return []any{ic.Name, ic.Spec.Controller, params, age(ic.CreationTimestamp, now)}
}

var networkPolicyColumns = []metav1.TableColumnDefinition{
	nameColumn, col("Pod-Selector", "string", networkingv1.NetworkPolicySpec{}.SwaggerDoc()["podSelector"]), ageColumn,
}

func networkPolicyRow(np *networkingv1.NetworkPolicy, now time.Time) []any {
	return []any{np.Name, metav1.FormatLabelSelector(&np.Spec.PodSelector), age(np.CreationTimestamp, now)}
}

func bindingColumns(kind string) []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		nameColumn,
		col("Role", "string", rbacv1.RoleBinding{}.SwaggerDoc()["roleRef"]),
		ageColumn,
		wide("Users", "string", "Users in the "+kind),
		wide("Groups", "string", "Groups in the "+kind),
		wide("ServiceAccounts", "string", "ServiceAccounts in the "+kind),
	}
}

func roleBindingRow(b *rbacv1.RoleBinding, now time.Time) []any {
	return bindingRow(b.ObjectMeta, b.RoleRef, b.Subjects, now)
}

func clusterRoleBindingRow(b *rbacv1.ClusterRoleBinding, now time.Time) []any {
	return bindingRow(b.ObjectMeta, b.RoleRef, b.Subjects, now)
}

// bindingRow shows the role as "Kind/name" and the subjects by kind,
// service accounts as "namespace/name".
func bindingRow(m metav1.ObjectMeta, ref rbacv1.RoleRef, subjects []rbacv1.Subject, now time.Time) []any {
	var users, groups, sas []string
	for _, s := range subjects {
		switch s.Kind {
		case rbacv1.ServiceAccountKind:
			sas = append(sas, s.Namespace+"/"+s.Name)
		case rbacv1.UserKind:
			users = append(users, s.Name)
		case rbacv1.GroupKind:
			groups = append(groups, s.Name)
		}
	}
	return []any{m.Name, ref.Kind + "/" + ref.Name, age(m.CreationTimestamp, now), strings.Join(users, ", "), strings.Join(groups, ", "), strings.Join(sas, ", ")}
}

var storageClassColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Provisioner", "string", storagev1.StorageClass{}.SwaggerDoc()["provisioner"]),
	col("ReclaimPolicy", "string", storagev1.StorageClass{}.SwaggerDoc()["reclaimPolicy"]),
	col("VolumeBindingMode", "string", storagev1.StorageClass{}.SwaggerDoc()["volumeBindingMode"]),
	col("AllowVolumeExpansion", "string", storagev1.StorageClass{}.SwaggerDoc()["allowVolumeExpansion"]),
	ageColumn,
}

// storageClassRow marks the default class with " (default)".
func storageClassRow(sc *storagev1.StorageClass, now time.Time) []any {
	name := sc.Name
	if sc.Annotations["storageclass.kubernetes.io/is-default-class"] == "true" || sc.Annotations["storageclass.beta.kubernetes.io/is-default-class"] == "true" {
		name += " (default)"
	}
	reclaim := string(corev1.PersistentVolumeReclaimDelete)
	if sc.ReclaimPolicy != nil {
		reclaim = string(*sc.ReclaimPolicy)
	}
	binding := string(storagev1.VolumeBindingImmediate)
	if sc.VolumeBindingMode != nil {
		binding = string(*sc.VolumeBindingMode)
	}
	expand := sc.AllowVolumeExpansion != nil && *sc.AllowVolumeExpansion
	return []any{name, sc.Provisioner, reclaim, binding, expand, age(sc.CreationTimestamp, now)}
}

var pdbColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Min Available", "string", "The minimum number of pods that must be available."),
	col("Max Unavailable", "string", "The maximum number of pods that may be unavailable."),
	col("Allowed Disruptions", "integer", "Calculated number of pods that may be disrupted at this time."),
	ageColumn,
}

func pdbRow(pdb *policyv1.PodDisruptionBudget, now time.Time) []any {
	minAvailable, maxUnavailable := "N/A", "N/A"
	if pdb.Spec.MinAvailable != nil {
		minAvailable = pdb.Spec.MinAvailable.String()
	}
	if pdb.Spec.MaxUnavailable != nil {
		maxUnavailable = pdb.Spec.MaxUnavailable.String()
	}
	return []any{pdb.Name, minAvailable, maxUnavailable, int64(pdb.Status.DisruptionsAllowed), age(pdb.CreationTimestamp, now)}
}

var priorityClassColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Value", "integer", schedulingv1.PriorityClass{}.SwaggerDoc()["value"]),
	col("Global-Default", "boolean", schedulingv1.PriorityClass{}.SwaggerDoc()["globalDefault"]),
	ageColumn,
	col("PreemptionPolicy", "string", schedulingv1.PriorityClass{}.SwaggerDoc()["preemptionPolicy"]),
}

func priorityClassRow(pc *schedulingv1.PriorityClass, now time.Time) []any {
	policy := ""
	if pc.PreemptionPolicy != nil {
		policy = string(*pc.PreemptionPolicy)
	}
	return []any{pc.Name, int64(pc.Value), pc.GlobalDefault, age(pc.CreationTimestamp, now), policy}
}
