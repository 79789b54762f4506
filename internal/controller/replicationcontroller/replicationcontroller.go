package replicationcontroller

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/replicaset"
)

// New builds the ReplicationController controller.
func New(cc *controllerctx.Context) (controllerctx.Controller, error) {
	inf := cc.Informers.Core().V1().ReplicationControllers()
	lister := inf.Lister()
	client := cc.Client
	return replicaset.NewForKind(cc, replicaset.Kind{
		Name:      "replicationcontroller",
		Component: "replication-controller",
		GVK:       corev1.SchemeGroupVersion.WithKind("ReplicationController"),
		Informer:  inf.Informer(),
		Get: func(ns, name string) (replicaset.Object, error) {
			rc, err := lister.ReplicationControllers(ns).Get(name)
			return toObject(rc), err
		},
		List: func(ns string) ([]replicaset.Object, error) {
			all, err := lister.ReplicationControllers(ns).List(labels.Everything())
			out := make([]replicaset.Object, 0, len(all))
			for _, rc := range all {
				out = append(out, toObject(rc))
			}
			return out, err
		},
		GetLive: func(ctx context.Context, ns, name string) (replicaset.Object, error) {
			rc, err := client.CoreV1().ReplicationControllers(ns).Get(ctx, name, metav1.GetOptions{})
			return toObject(rc), err
		},
		UpdateStatus: func(ctx context.Context, o replicaset.Object, st appsv1.ReplicaSetStatus) (replicaset.Object, error) {
			rc := o.Orig.(*corev1.ReplicationController).DeepCopy()
			rc.Status = toRCStatus(st)
			rc, err := client.CoreV1().ReplicationControllers(rc.Namespace).UpdateStatus(ctx, rc, metav1.UpdateOptions{})
			return toObject(rc), err
		},
	})
}

// toObject views rc as a ReplicaSet; nil stays nil.
func toObject(rc *corev1.ReplicationController) replicaset.Object {
	if rc == nil {
		return replicaset.Object{}
	}
	rs := &appsv1.ReplicaSet{
		ObjectMeta: rc.ObjectMeta,
		Spec: appsv1.ReplicaSetSpec{
			Replicas:        rc.Spec.Replicas,
			MinReadySeconds: rc.Spec.MinReadySeconds,
			Selector:        &metav1.LabelSelector{MatchLabels: rc.Spec.Selector},
		},
		Status: appsv1.ReplicaSetStatus{
			Replicas:             rc.Status.Replicas,
			FullyLabeledReplicas: rc.Status.FullyLabeledReplicas,
			ReadyReplicas:        rc.Status.ReadyReplicas,
			AvailableReplicas:    rc.Status.AvailableReplicas,
			ObservedGeneration:   rc.Status.ObservedGeneration,
		},
	}
	if rc.Spec.Template != nil {
		rs.Spec.Template = *rc.Spec.Template
	}
	for _, c := range rc.Status.Conditions {
		rs.Status.Conditions = append(rs.Status.Conditions, appsv1.ReplicaSetCondition{
			Type: appsv1.ReplicaSetConditionType(c.Type), Status: c.Status,
			LastTransitionTime: c.LastTransitionTime, Reason: c.Reason, Message: c.Message,
		})
	}
	return replicaset.Object{ReplicaSet: rs, Orig: rc}
}

func toRCStatus(st appsv1.ReplicaSetStatus) corev1.ReplicationControllerStatus {
	out := corev1.ReplicationControllerStatus{
		Replicas:             st.Replicas,
		FullyLabeledReplicas: st.FullyLabeledReplicas,
		ReadyReplicas:        st.ReadyReplicas,
		AvailableReplicas:    st.AvailableReplicas,
		ObservedGeneration:   st.ObservedGeneration,
	}
	for _, c := range st.Conditions {
		out.Conditions = append(out.Conditions, corev1.ReplicationControllerCondition{
			Type: corev1.ReplicationControllerConditionType(c.Type), Status: c.Status,
			LastTransitionTime: c.LastTransitionTime, Reason: c.Reason, Message: c.Message,
		})
	}
	return out
}
