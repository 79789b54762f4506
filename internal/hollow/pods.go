package hollow

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// work handles queued pods until the queue shuts down.
func (f *Fleet) work(ctx context.Context, lister func(ns string) corelisters.PodNamespaceLister) {
	for {
		key, quit := f.queue.Get()
		if quit {
			return
		}
		err := f.sync(ctx, key, lister)
		if err != nil && ctx.Err() == nil {
			f.cfg.Log.Debug("hollow pod", "pod", key, "err", err)
			f.queue.AddRateLimited(key)
		} else {
			f.queue.Forget(key)
		}
		f.queue.Done(key)
	}
}

// sync moves a pod on: a terminating pod is removed (its containers
// "stopped" at once), a new one is started.
func (f *Fleet) sync(ctx context.Context, key string, lister func(ns string) corelisters.PodNamespaceLister) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pod, err := lister(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	node := f.nodes[pod.Spec.NodeName]
	switch {
	case node == nil:
		return nil
	case pod.DeletionTimestamp != nil:
		zero := int64(0)
		err := f.cfg.Client.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &pod.UID}})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return nil
		}
		return err
	case pod.Status.StartTime != nil:
		return nil // already started
	}
	return f.start(ctx, pod, node)
}

func (f *Fleet) start(ctx context.Context, pod *corev1.Pod, node *nodeState) error {
	podCIDR := ""
	if n, err := f.cfg.Client.CoreV1().Nodes().Get(ctx, pod.Spec.NodeName, metav1.GetOptions{ResourceVersion: "0"}); err == nil {
		podCIDR = n.Spec.PodCIDR
	}
	hostIP := nodeIP(node.index)
	ip := node.podIP(podCIDR)
	if pod.Spec.HostNetwork {
		ip = hostIP
	}
	updated := pod.DeepCopy()
	updated.Status = f.cfg.Runtime.Start(pod, pod.Spec.NodeName, ip, time.Now())
	updated.Status.HostIP, updated.Status.HostIPs = hostIP, []corev1.HostIP{{IP: hostIP}}
	_, err := f.cfg.Client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // gone, or changed: the informer brings it back
	}
	return err
}

// InstantRuntime starts every container at once and keeps it running:
// the pod is Running and Ready as soon as it is bound.
type InstantRuntime struct{}

// Start implements PodRuntime.
func (InstantRuntime) Start(pod *corev1.Pod, node, podIP string, now time.Time) corev1.PodStatus {
	t := metav1.NewTime(now)
	st := pod.Status.DeepCopy()
	st.Phase = corev1.PodRunning
	st.StartTime = &t
	st.PodIP, st.PodIPs = podIP, []corev1.PodIP{{IP: podIP}}
	st.ContainerStatuses = nil
	for _, c := range pod.Spec.Containers {
		st.ContainerStatuses = append(st.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: "hollow://" + c.Image, ContainerID: "hollow://" + string(pod.UID) + "/" + c.Name,
			Ready: true, Started: ptr(true), State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: t}},
		})
	}
	st.Conditions = []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: t},
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: t},
		{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: t},
		{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: t},
	}
	return *st
}

func ptr[T any](v T) *T { return &v }
