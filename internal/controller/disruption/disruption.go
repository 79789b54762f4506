package disruption

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	policylisters "k8s.io/client-go/listers/policy/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/podutil"
	"github.com/skiff-sh/skiff/internal/controller/worker"
)

// DeletionTimeout is how long an entry of status.disruptedPods keeps its
// pod out of currentHealthy (Kubernetes' value).
const DeletionTimeout = 2 * time.Minute

// Controller keeps PodDisruptionBudget status; its queue holds budget keys.
type Controller struct {
	client    kubernetes.Interface
	pdbLister policylisters.PodDisruptionBudgetLister
	podLister corelisters.PodLister
	rcLister  corelisters.ReplicationControllerLister
	rsLister  appslisters.ReplicaSetLister
	dLister   appslisters.DeploymentLister
	ssLister  appslisters.StatefulSetLister
	queue     workqueue.TypedRateLimitingInterface[string]
	pool      worker.Pool
	metrics   *metrics
	now       func() time.Time
}

// New builds the disruption controller.
func New(cc *controllerctx.Context) (controllerctx.Controller, error) {
	m, err := newMetrics(cc.Metrics)
	if err != nil {
		return nil, err
	}
	pdb := cc.Informers.Policy().V1().PodDisruptionBudgets()
	pod := cc.Informers.Core().V1().Pods()
	rc := cc.Informers.Core().V1().ReplicationControllers()
	rs := cc.Informers.Apps().V1().ReplicaSets()
	d := cc.Informers.Apps().V1().Deployments()
	ss := cc.Informers.Apps().V1().StatefulSets()
	c := &Controller{
		client: cc.Client, pdbLister: pdb.Lister(), podLister: pod.Lister(),
		rcLister: rc.Lister(), rsLister: rs.Lister(), dLister: d.Lister(), ssLister: ss.Lister(),
		queue: worker.NewQueue("disruption"), metrics: m, now: time.Now,
	}
	// A scale change of any controller requeues the budgets of its namespace.
	byNamespace := worker.Handler(c.enqueueNamespaceOf)
	err = worker.AddHandlers(
		worker.Watch{Informer: pdb.Informer(), Handler: worker.KeyHandler(c.queue.Add)},
		worker.Watch{Informer: pod.Informer(), Handler: cache.ResourceEventHandlerFuncs{
			AddFunc: c.enqueuePod,
			UpdateFunc: func(old, cur any) {
				c.enqueuePod(old)
				c.enqueuePod(cur)
			},
			DeleteFunc: c.enqueuePod,
		}},
		worker.Watch{Informer: rc.Informer(), Handler: byNamespace},
		worker.Watch{Informer: rs.Informer(), Handler: byNamespace},
		worker.Watch{Informer: d.Informer(), Handler: byNamespace},
		worker.Watch{Informer: ss.Informer(), Handler: byNamespace},
	)
	if err != nil {
		return nil, err
	}
	c.pool = worker.Pool{
		Name: "disruption", Queue: c.queue, Sync: c.sync, Workers: cc.Options.Workers,
		Synced: []cache.InformerSynced{
			pdb.Informer().HasSynced, pod.Informer().HasSynced, rc.Informer().HasSynced,
			rs.Informer().HasSynced, d.Informer().HasSynced, ss.Informer().HasSynced,
		},
		Metrics: m.sync, Log: cc.Log.With("controller", "disruption"),
	}
	return c, nil
}

// Run syncs budgets until ctx ends.
func (c *Controller) Run(ctx context.Context) error { return c.pool.Run(ctx) }

// enqueuePod queues the budgets whose selector matches the pod.
func (c *Controller) enqueuePod(obj any) {
	pod, ok := worker.Unwrap[*corev1.Pod](obj)
	if !ok {
		return
	}
	pdbs, err := c.pdbLister.PodDisruptionBudgets(pod.Namespace).List(labels.Everything())
	if err != nil {
		return
	}
	for _, pdb := range pdbs {
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err == nil && pdb.Spec.Selector != nil && sel.Matches(labels.Set(pod.Labels)) {
			c.queue.Add(pdb.Namespace + "/" + pdb.Name)
		}
	}
}

func (c *Controller) enqueueNamespaceOf(obj any) {
	worker.EnqueueNamespaceOf(obj, func(ns string) ([]*policyv1.PodDisruptionBudget, error) {
		return c.pdbLister.PodDisruptionBudgets(ns).List(labels.Everything())
	}, c.queue.Add)
}

func (c *Controller) sync(ctx context.Context, key string) error {
	pdb, found, err := worker.Get(key, func(ns, name string) (*policyv1.PodDisruptionBudget, error) {
		return c.pdbLister.PodDisruptionBudgets(ns).Get(name)
	})
	if err != nil || !found {
		return err
	}
	pods, err := c.pods(pdb)
	if err != nil {
		return err
	}
	status, err := Status(pdb, pods, c.scale, c.now())
	if err != nil {
		return err
	}
	if apiequality.Semantic.DeepEqual(status, pdb.Status) {
		return nil
	}
	pdb = pdb.DeepCopy()
	pdb.Status = status
	_, err = c.client.PolicyV1().PodDisruptionBudgets(pdb.Namespace).UpdateStatus(ctx, pdb, metav1.UpdateOptions{})
	switch {
	case err == nil:
		c.metrics.updates.Inc()
	case apierrors.IsNotFound(err):
	default:
		return fmt.Errorf("update status of poddisruptionbudget %s: %w", key, err)
	}
	return nil
}

// pods lists the pods pdb's selector matches.
func (c *Controller) pods(pdb *policyv1.PodDisruptionBudget) ([]*corev1.Pod, error) {
	if pdb.Spec.Selector == nil {
		return nil, nil
	}
	sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil {
		return nil, nil // invalid selectors are rejected by validation; match nothing
	}
	return c.podLister.Pods(pdb.Namespace).List(sel)
}

// ScaleFunc returns the controller that sets the scale of pod, and its
// replicas; ok is false when the pod has no controller skiff knows.
type ScaleFunc func(pod *corev1.Pod) (uid types.UID, replicas int32, ok bool, err error)

var (
	rcKind  = corev1.SchemeGroupVersion.WithKind("ReplicationController")
	rsKind  = appsv1.SchemeGroupVersion.WithKind("ReplicaSet")
	dKind   = appsv1.SchemeGroupVersion.WithKind("Deployment")
	ssKind  = appsv1.SchemeGroupVersion.WithKind("StatefulSet")
	replica = func(r *int32) int32 {
		if r == nil {
			return 1
		}
		return *r
	}
)

// scale finds the controller of pod among ReplicationControllers,
// ReplicaSets (or the Deployment owning one) and StatefulSets.
func (c *Controller) scale(pod *corev1.Pod) (types.UID, int32, bool, error) {
	ref := metav1.GetControllerOf(pod)
	if ref == nil {
		return "", 0, false, nil
	}
	var obj metav1.Object
	var replicas *int32
	var err error
	switch {
	case podutil.IsKind(ref, rcKind):
		var rc *corev1.ReplicationController
		if rc, err = c.rcLister.ReplicationControllers(pod.Namespace).Get(ref.Name); err == nil {
			obj, replicas = rc, rc.Spec.Replicas
		}
	case podutil.IsKind(ref, ssKind):
		var ss *appsv1.StatefulSet
		if ss, err = c.ssLister.StatefulSets(pod.Namespace).Get(ref.Name); err == nil {
			obj, replicas = ss, ss.Spec.Replicas
		}
	case podutil.IsKind(ref, rsKind):
		var rs *appsv1.ReplicaSet
		if rs, err = c.rsLister.ReplicaSets(pod.Namespace).Get(ref.Name); err != nil || rs.UID != ref.UID {
			break
		}
		obj, replicas = rs, rs.Spec.Replicas
		if dref := metav1.GetControllerOf(rs); dref != nil && podutil.IsKind(dref, dKind) {
			d, derr := c.dLister.Deployments(pod.Namespace).Get(dref.Name)
			if derr != nil {
				if apierrors.IsNotFound(derr) {
					return "", 0, false, nil
				}
				return "", 0, false, derr
			}
			if d.UID == dref.UID {
				obj, replicas = d, d.Spec.Replicas
			}
		}
	default:
		return "", 0, false, nil
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return "", 0, false, err
	}
	if obj == nil || obj.GetUID() != ref.UID && !isDeployment(obj) {
		return "", 0, false, nil // gone, or a namesake: the pod counts alone
	}
	return obj.GetUID(), replica(replicas), true, nil
}

func isDeployment(o metav1.Object) bool { _, ok := o.(*appsv1.Deployment); return ok }

// Status computes the status of pdb over the pods its selector matches.
func Status(pdb *policyv1.PodDisruptionBudget, pods []*corev1.Pod, scale ScaleFunc, now time.Time) (policyv1.PodDisruptionBudgetStatus, error) {
	st := *pdb.Status.DeepCopy()
	var disrupted map[string]metav1.Time
	for name, t := range pdb.Status.DisruptedPods {
		if t.Add(DeletionTimeout).After(now) {
			if disrupted == nil {
				disrupted = map[string]metav1.Time{}
			}
			disrupted[name] = t
		}
	}
	var healthy int32
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		if _, ok := disrupted[p.Name]; ok {
			continue
		}
		if podutil.IsPodReady(p) {
			healthy++
		}
	}
	expected, desired, err := expectedAndDesired(pdb, pods, scale)
	if err != nil {
		return st, err
	}
	allowed := healthy - desired
	if expected <= 0 || allowed < 0 {
		allowed = 0
	}
	st.DisruptedPods = disrupted
	st.CurrentHealthy, st.DesiredHealthy, st.ExpectedPods, st.DisruptionsAllowed = healthy, desired, expected, allowed
	st.ObservedGeneration = pdb.Generation
	cond := metav1.Condition{
		Type: policyv1.DisruptionAllowedCondition, Status: metav1.ConditionFalse,
		Reason: policyv1.InsufficientPodsReason, ObservedGeneration: pdb.Generation,
	}
	if allowed > 0 {
		cond.Status, cond.Reason = metav1.ConditionTrue, policyv1.SufficientPodsReason
	}
	apimeta.SetStatusCondition(&st.Conditions, cond)
	return st, nil
}

func expectedAndDesired(pdb *policyv1.PodDisruptionBudget, pods []*corev1.Pod, scale ScaleFunc) (expected, desired int32, err error) {
	switch {
	case pdb.Spec.MaxUnavailable != nil:
		if expected, err = expectedScale(pods, scale); err != nil {
			return 0, 0, err
		}
		maxUnavailable, err := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MaxUnavailable, int(expected), true)
		if err != nil {
			return 0, 0, err
		}
		return expected, max(expected-int32(maxUnavailable), 0), nil
	case pdb.Spec.MinAvailable != nil && pdb.Spec.MinAvailable.Type == intstr.Int:
		return int32(len(pods)), pdb.Spec.MinAvailable.IntVal, nil
	case pdb.Spec.MinAvailable != nil:
		if expected, err = expectedScale(pods, scale); err != nil {
			return 0, 0, err
		}
		minAvailable, err := intstr.GetScaledValueFromIntOrPercent(pdb.Spec.MinAvailable, int(expected), true)
		if err != nil {
			return 0, 0, err
		}
		return expected, int32(minAvailable), nil
	}
	return int32(len(pods)), 0, nil
}

// expectedScale sums the replicas of the pods' distinct controllers; a pod
// without a known controller counts as one.
func expectedScale(pods []*corev1.Pod, scale ScaleFunc) (int32, error) {
	seen := map[types.UID]bool{}
	var n int32
	for _, p := range pods {
		uid, replicas, ok, err := scale(p)
		if err != nil {
			return 0, err
		}
		if !ok {
			n++
			continue
		}
		if !seen[uid] {
			seen[uid] = true
			n += replicas
		}
	}
	return n, nil
}
