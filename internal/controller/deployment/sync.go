package deployment

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/skiff-sh/skiff/internal/controller/podutil"
)

func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	cached, err := c.dLister.Deployments(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	d := cached.DeepCopy()
	if sel := d.Spec.Selector; sel == nil || (len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0) {
		c.recorder.Eventf(d, corev1.EventTypeWarning, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.")
		if d.Status.ObservedGeneration < d.Generation {
			d.Status.ObservedGeneration = d.Generation
			_, err = c.client.AppsV1().Deployments(ns).UpdateStatus(ctx, d, metav1.UpdateOptions{})
		}
		return err
	}
	rss, err := c.claimReplicaSets(ctx, d)
	if err != nil {
		return err
	}
	if d.DeletionTimestamp != nil {
		return c.syncStatusOnly(ctx, d, rss)
	}
	if err := c.checkPaused(ctx, d); err != nil {
		return err
	}
	if d.Spec.Paused || isScalingEvent(d, rss) {
		return c.syncScale(ctx, d, rss)
	}
	if d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		return c.rolloutRecreate(ctx, d, rss)
	}
	return c.rolloutRolling(ctx, d, rss)
}

// claimReplicaSets adopts and releases ReplicaSets by d's selector.
func (c *Controller) claimReplicaSets(ctx context.Context, d *appsv1.Deployment) ([]*appsv1.ReplicaSet, error) {
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("deployment %s/%s selector: %w", d.Namespace, d.Name, err)
	}
	all, err := c.rsLister.ReplicaSets(d.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	m := &podutil.RefManager{
		Owner: d, OwnerGVK: deploymentKind, Selector: sel,
		CanAdopt: func(ctx context.Context) error {
			fresh, err := c.client.AppsV1().Deployments(d.Namespace).Get(ctx, d.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if fresh.UID != d.UID || fresh.DeletionTimestamp != nil {
				return fmt.Errorf("deployment %s/%s is gone or going", d.Namespace, d.Name)
			}
			return nil
		},
		Patch: func(ctx context.Context, ns, name string, patch []byte) error {
			_, err := c.client.AppsV1().ReplicaSets(ns).Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
			return err
		},
	}
	claimed, err := podutil.Claim(ctx, m, all)
	// Copies: scaling writes the results back into them.
	for i, rs := range claimed {
		claimed[i] = rs.DeepCopy()
	}
	return claimed, err
}

// split finds the new ReplicaSet (the oldest whose template is d's) and
// the old ones.
func split(d *appsv1.Deployment, rss []*appsv1.ReplicaSet) (newRS *appsv1.ReplicaSet, old []*appsv1.ReplicaSet) {
	sorted := append([]*appsv1.ReplicaSet(nil), rss...)
	byCreation(sorted)
	for _, rs := range sorted {
		if newRS == nil && equalIgnoreHash(&rs.Spec.Template, &d.Spec.Template) {
			newRS = rs
			continue
		}
		old = append(old, rs)
	}
	return newRS, old
}

// replicaSets returns the new and old ReplicaSets, creating the new one
// when create is set, and brings revisions up to date.
func (c *Controller) replicaSets(ctx context.Context, d *appsv1.Deployment, rss []*appsv1.ReplicaSet, create bool) (*appsv1.ReplicaSet, []*appsv1.ReplicaSet, error) {
	newRS, old := split(d, rss)
	rev := maxRevision(old) + 1
	if newRS != nil {
		rs, err := c.refreshNewRS(ctx, d, newRS, rev)
		return rs, old, err
	}
	if !create {
		return nil, old, nil
	}
	rs, err := c.createNewRS(ctx, d, old, rev)
	return rs, old, err
}

// refreshNewRS brings the existing new ReplicaSet's annotations and
// minReadySeconds up to date, and d's revision and Progressing condition.
func (c *Controller) refreshNewRS(ctx context.Context, d *appsv1.Deployment, rs *appsv1.ReplicaSet, rev int64) (*appsv1.ReplicaSet, error) {
	cp := rs.DeepCopy()
	changed := setNewRSAnnotations(d, cp, rev, true)
	if cp.Spec.MinReadySeconds != d.Spec.MinReadySeconds {
		cp.Spec.MinReadySeconds = d.Spec.MinReadySeconds
		changed = true
	}
	if changed {
		var err error
		if cp, err = c.client.AppsV1().ReplicaSets(cp.Namespace).Update(ctx, cp, metav1.UpdateOptions{}); err != nil {
			return nil, err
		}
	}
	needsUpdate := setRevision(d, cp.Annotations[RevisionAnnotation])
	if getCondition(d.Status, appsv1.DeploymentProgressing) == nil && hasProgressDeadline(d) {
		setCondition(&d.Status, newCondition(appsv1.DeploymentProgressing, corev1.ConditionTrue, ReasonFoundNewRS,
			fmt.Sprintf("Found new replica set %q", cp.Name), c.Now()))
		needsUpdate = true
	}
	if needsUpdate {
		return cp, c.updateStatus(ctx, d)
	}
	return cp, nil
}

func (c *Controller) createNewRS(ctx context.Context, d *appsv1.Deployment, old []*appsv1.ReplicaSet, rev int64) (*appsv1.ReplicaSet, error) {
	hash := computeHash(&d.Spec.Template, d.Status.CollisionCount)
	tmpl, sel := templateWithHash(d, hash)
	zero := int32(0)
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: d.Name + "-" + hash, Namespace: d.Namespace, Labels: tmpl.Labels,
			OwnerReferences: []metav1.OwnerReference{*podutil.NewControllerRef(d, deploymentKind)},
		},
		Spec: appsv1.ReplicaSetSpec{Replicas: &zero, MinReadySeconds: d.Spec.MinReadySeconds, Selector: sel, Template: tmpl},
	}
	n := newRSReplicas(d, append(old, rs), rs)
	rs.Spec.Replicas = &n
	setNewRSAnnotations(d, rs, rev, false)
	created, err := c.client.AppsV1().ReplicaSets(d.Namespace).Create(ctx, rs, metav1.CreateOptions{})
	exists := false
	switch {
	case apierrors.IsAlreadyExists(err):
		found, gerr := c.rsLister.ReplicaSets(d.Namespace).Get(rs.Name)
		if gerr != nil {
			return nil, errors.Join(err, gerr)
		}
		if ref := podutil.GetControllerOf(found); ref != nil && ref.UID == d.UID && equalIgnoreHash(&found.Spec.Template, &d.Spec.Template) {
			// Ours; the informer had not seen it yet.
			created, exists = found, true
			break
		}
		// A different template hashed to the same name: count a
		// collision, which changes the next hash.
		cc := int32(0)
		if d.Status.CollisionCount != nil {
			cc = *d.Status.CollisionCount
		}
		cc++
		d.Status.CollisionCount = &cc
		return nil, errors.Join(err, c.updateStatus(ctx, d))
	case err != nil:
		msg := fmt.Sprintf("Failed to create new replica set %q: %v", rs.Name, err)
		if hasProgressDeadline(d) {
			setCondition(&d.Status, newCondition(appsv1.DeploymentProgressing, corev1.ConditionFalse, ReasonFailedRSCreate, msg, c.Now()))
			err = errors.Join(err, c.updateStatus(ctx, d))
		}
		c.recorder.Event(d, corev1.EventTypeWarning, "FailedCreate", msg)
		return nil, err
	}
	if !exists && n > 0 {
		c.recorder.Eventf(d, corev1.EventTypeNormal, ReasonScalingReplicaSet, "Scaled up replica set %s from 0 to %d", created.Name, n)
	}
	setRevision(d, strconv.FormatInt(rev, 10))
	if !exists && hasProgressDeadline(d) {
		setCondition(&d.Status, newCondition(appsv1.DeploymentProgressing, corev1.ConditionTrue, ReasonNewRSCreated,
			fmt.Sprintf("Created new replica set %q", created.Name), c.Now()))
	}
	return created, c.updateStatus(ctx, d)
}

// setRevision sets d's revision annotation; false means it was already.
func setRevision(d *appsv1.Deployment, rev string) bool {
	if rev == "" || d.Annotations[RevisionAnnotation] == rev {
		return false
	}
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	d.Annotations[RevisionAnnotation] = rev
	return true
}

// updateStatus writes d's status (and, as Kubernetes does, its revision
// annotation) through the status subresource, keeping d current.
func (c *Controller) updateStatus(ctx context.Context, d *appsv1.Deployment) error {
	out, err := c.client.AppsV1().Deployments(d.Namespace).UpdateStatus(ctx, d, metav1.UpdateOptions{})
	if err != nil {
		return err
	}
	out.Annotations = d.Annotations
	*d = *out
	return nil
}

// writeStatus stores st unless it equals d's.
func (c *Controller) writeStatus(ctx context.Context, d *appsv1.Deployment, st appsv1.DeploymentStatus) error {
	if apiequality.Semantic.DeepEqual(d.Status, st) {
		return nil
	}
	d.Status = st
	return c.updateStatus(ctx, d)
}

func (c *Controller) syncStatusOnly(ctx context.Context, d *appsv1.Deployment, rss []*appsv1.ReplicaSet) error {
	newRS, old, err := c.replicaSets(ctx, d, rss, false)
	if err != nil {
		return err
	}
	all := append(old, newRS)
	return c.writeStatus(ctx, d, calculateStatus(d, all, newRS, c.Now()))
}

// checkPaused keeps the Progressing condition in step with spec.paused.
func (c *Controller) checkPaused(ctx context.Context, d *appsv1.Deployment) error {
	if !hasProgressDeadline(d) {
		return nil
	}
	cur := getCondition(d.Status, appsv1.DeploymentProgressing)
	pausedCond := cur != nil && cur.Reason == ReasonPaused
	switch {
	case d.Spec.Paused && !pausedCond:
		setCondition(&d.Status, newCondition(appsv1.DeploymentProgressing, corev1.ConditionUnknown, ReasonPaused, "Deployment is paused", c.Now()))
	case !d.Spec.Paused && pausedCond:
		setCondition(&d.Status, newCondition(appsv1.DeploymentProgressing, corev1.ConditionUnknown, ReasonResumed, "Deployment is resumed", c.Now()))
	default:
		return nil
	}
	return c.updateStatus(ctx, d)
}

// isScalingEvent reports whether spec.replicas changed since the active
// ReplicaSets were last sized.
func isScalingEvent(d *appsv1.Deployment, rss []*appsv1.ReplicaSet) bool {
	newRS, old := split(d, rss)
	for _, rs := range active(append(old, newRS)) {
		if want, ok := intAnnotation(rs, DesiredReplicasAnnotation); ok && want != dReplicas(d) {
			return true
		}
	}
	return false
}
