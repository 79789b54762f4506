package apiserver

import (
	"context"
	"fmt"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	metricsv1beta1 "k8s.io/metrics/pkg/apis/metrics/v1beta1"

	"github.com/skiff-sh/skiff/internal/kubelet/statsapi"
	"github.com/skiff-sh/skiff/internal/registry"
	"github.com/skiff-sh/skiff/internal/registry/generic"
)

// The resource metrics API (metrics.k8s.io/v1beta1), which Kubernetes
// gets from metrics-server behind the aggregator, is served here from
// the kubelets' Summary API: NodeMetrics and PodMetrics, get and list.
var metricsGV = metricsv1beta1.SchemeGroupVersion

// metricsResources are the resources of metrics.k8s.io in discovery.
var metricsResources = []registry.Resource{
	{GroupVersionResource: metricsGV.WithResource("nodes"), Kind: "NodeMetrics", Singular: "node"},
	{GroupVersionResource: metricsGV.WithResource("pods"), Kind: "PodMetrics", Singular: "pod", Namespaced: true},
}

// metricsVerbs are the verbs of every metrics resource.
var metricsVerbs = metav1.Verbs{"get", "list"}

// metricsWindow is the interval usage is averaged over: the kubelet's
// stats sampling period.
const metricsWindow = 10 * time.Second

// serveMetricsAPI answers a request below /apis/metrics.k8s.io.
func (s *Server) serveMetricsAPI(w http.ResponseWriter, r *http.Request, ri *requestInfo) {
	obj, err := s.metricsObject(r, ri)
	writeComputed(w, r, http.StatusOK, obj, err)
}

// metricsObject reads the NodeMetrics or PodMetrics (list) ri names.
func (s *Server) metricsObject(r *http.Request, ri *requestInfo) (runtime.Object, error) {
	gr := schema.GroupResource{Group: ri.Group, Resource: ri.Resource}
	known := ri.Version == metricsGV.Version && ri.Subresource == "" &&
		(ri.Resource == "pods" || (ri.Resource == "nodes" && ri.Namespace == ""))
	if !known {
		return nil, apierrors.NewNotFound(gr, ri.Name)
	}
	if ri.Verb != "get" && ri.Verb != "list" {
		return nil, apierrors.NewMethodNotSupported(gr, ri.Verb)
	}
	sel := labels.Everything()
	if q := r.URL.Query().Get("labelSelector"); q != "" {
		var err error
		if sel, err = labels.Parse(q); err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("unable to parse requirement: %v", err))
		}
	}
	if ri.Resource == "nodes" {
		return s.nodeMetrics(r.Context(), ri.Name, sel)
	}
	return s.podMetrics(r.Context(), ri.Namespace, ri.Name, sel)
}

// nodeMetrics is the NodeMetrics of node name, or the list of those
// matching sel when name is empty.
func (s *Server) nodeMetrics(ctx context.Context, name string, sel labels.Selector) (runtime.Object, error) {
	nodes, err := s.listOrGet(ctx, corev1.SchemeGroupVersion.WithResource("nodes"), "", name, sel)
	if err != nil {
		return nil, err
	}
	ns := make([]*corev1.Node, len(nodes))
	for i, o := range nodes {
		ns[i] = o.(*corev1.Node)
	}
	sums := s.summaries(ctx, ns)
	list := &metricsv1beta1.NodeMetricsList{TypeMeta: metav1.TypeMeta{APIVersion: metricsGV.String(), Kind: "NodeMetricsList"}}
	for _, n := range ns {
		if m, ok := nodeMetricsOf(n, sums[n.Name]); ok {
			list.Items = append(list.Items, m)
		}
	}
	if name == "" {
		return list, nil
	}
	if len(list.Items) == 0 {
		return nil, apierrors.NewNotFound(metricsGV.WithResource("nodemetrics").GroupResource(), name)
	}
	return &list.Items[0], nil
}

// podMetrics is the PodMetrics of pod namespace/name, or the list of
// those in namespace (every namespace when empty) matching sel.
func (s *Server) podMetrics(ctx context.Context, namespace, name string, sel labels.Selector) (runtime.Object, error) {
	objs, err := s.listOrGet(ctx, corev1.SchemeGroupVersion.WithResource("pods"), namespace, name, sel)
	if err != nil {
		return nil, err
	}
	pods := make([]*corev1.Pod, 0, len(objs))
	var nodes []*corev1.Node
	seen := map[string]bool{}
	for _, o := range objs {
		p := o.(*corev1.Pod)
		if p.Spec.NodeName == "" || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		pods = append(pods, p)
		if !seen[p.Spec.NodeName] {
			seen[p.Spec.NodeName] = true
			if n, err := s.store(corev1.SchemeGroupVersion.WithResource("nodes")).Get(ctx, "", p.Spec.NodeName, ""); err == nil {
				nodes = append(nodes, n.(*corev1.Node))
			}
		}
	}
	sums := s.summaries(ctx, nodes)
	list := &metricsv1beta1.PodMetricsList{TypeMeta: metav1.TypeMeta{APIVersion: metricsGV.String(), Kind: "PodMetricsList"}}
	for _, p := range pods {
		if m, ok := podMetricsOf(p, sums[p.Spec.NodeName]); ok {
			list.Items = append(list.Items, m)
		}
	}
	if name == "" {
		return list, nil
	}
	if len(list.Items) == 0 {
		return nil, apierrors.NewNotFound(metricsGV.WithResource("podmetrics").GroupResource(), namespace+"/"+name)
	}
	return &list.Items[0], nil
}

// listOrGet reads object name, or lists those matching sel when name is
// empty, from the watch cache.
func (s *Server) listOrGet(ctx context.Context, gvr schema.GroupVersionResource, namespace, name string, sel labels.Selector) ([]runtime.Object, error) {
	st := s.store(gvr)
	if name != "" {
		obj, err := st.Get(ctx, namespace, name, "")
		if err != nil {
			return nil, err
		}
		return []runtime.Object{obj}, nil
	}
	list, err := st.List(ctx, namespace, generic.ListOptions{ResourceVersion: "0", Label: sel, Field: fields.Everything()})
	if err != nil {
		return nil, err
	}
	return meta.ExtractList(list)
}

// nodeMetricsOf is node's usage in sum; false when the kubelet has no
// CPU rate or working set for it yet.
func nodeMetricsOf(node *corev1.Node, sum *statsapi.Summary) (metricsv1beta1.NodeMetrics, bool) {
	if sum == nil {
		return metricsv1beta1.NodeMetrics{}, false
	}
	usage, at, ok := usageOf(sum.Node.CPU, sum.Node.Memory)
	if !ok {
		return metricsv1beta1.NodeMetrics{}, false
	}
	return metricsv1beta1.NodeMetrics{
		TypeMeta:   metav1.TypeMeta{APIVersion: metricsGV.String(), Kind: "NodeMetrics"},
		ObjectMeta: metav1.ObjectMeta{Name: node.Name, Labels: node.Labels, CreationTimestamp: metav1.Now()},
		Timestamp:  at, Window: metav1.Duration{Duration: metricsWindow}, Usage: usage,
	}, true
}

// podMetricsOf is pod's usage per container in sum; false unless every
// container the kubelet reports has figures, as metrics-server drops
// partial pods.
func podMetricsOf(pod *corev1.Pod, sum *statsapi.Summary) (metricsv1beta1.PodMetrics, bool) {
	if sum == nil {
		return metricsv1beta1.PodMetrics{}, false
	}
	for _, ps := range sum.Pods {
		if ps.PodRef.Namespace != pod.Namespace || ps.PodRef.Name != pod.Name || ps.PodRef.UID != string(pod.UID) || len(ps.Containers) == 0 {
			continue
		}
		m := metricsv1beta1.PodMetrics{
			TypeMeta:   metav1.TypeMeta{APIVersion: metricsGV.String(), Kind: "PodMetrics"},
			ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, Labels: pod.Labels, CreationTimestamp: metav1.Now()},
			Window:     metav1.Duration{Duration: metricsWindow},
		}
		for _, c := range ps.Containers {
			usage, at, ok := usageOf(c.CPU, c.Memory)
			if !ok {
				return metricsv1beta1.PodMetrics{}, false
			}
			if at.After(m.Timestamp.Time) {
				m.Timestamp = at
			}
			m.Containers = append(m.Containers, metricsv1beta1.ContainerMetrics{Name: c.Name, Usage: usage})
		}
		return m, true
	}
	return metricsv1beta1.PodMetrics{}, false
}

// usageOf is CPU (the recent rate, in nanocores) and memory (the
// working set, in bytes) as metrics-server reports them, stamped with
// the CPU sample's time.
func usageOf(cpu *statsapi.CPUStats, mem *statsapi.MemoryStats) (corev1.ResourceList, metav1.Time, bool) {
	if cpu == nil || cpu.UsageNanoCores == nil || mem == nil || mem.WorkingSetBytes == nil {
		return nil, metav1.Time{}, false
	}
	return corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewScaledQuantity(int64(*cpu.UsageNanoCores), resource.Nano),
		corev1.ResourceMemory: *resource.NewQuantity(int64(*mem.WorkingSetBytes), resource.BinarySI),
	}, cpu.Time, true
}
