package deployment

import (
	"context"
	"errors"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// syncRolloutStatus writes the rollout's status, records a fully
// available new ReplicaSet, rolls back automatically when asked to and
// requeues d for its progress deadline.
func (c *Controller) syncRolloutStatus(ctx context.Context, d *appsv1.Deployment, all []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) error {
	now := c.Now()
	st := rolloutStatus(d, all, newRS, now)
	var errs []error
	if complete(d, &st) {
		errs = append(errs, c.markAvailable(ctx, newRS))
	}
	if err := c.writeStatus(ctx, d, st); err != nil {
		return errors.Join(append(errs, err)...)
	}
	errs = append(errs, c.autoRollback(ctx, d, newRS, all))
	if wait := stuckIn(d, &st, now); wait >= 0 {
		key, _ := cache.MetaNamespaceKeyFunc(d)
		if wait < time.Second {
			c.queue.AddRateLimited(key)
		} else {
			c.queue.AddAfter(key, wait)
		}
	}
	return errors.Join(errs...)
}

// markAvailable records on rs that its revision was fully available, so
// that automatic rollback may return to it.
func (c *Controller) markAvailable(ctx context.Context, rs *appsv1.ReplicaSet) error {
	if rs == nil || rs.Annotations[AvailableAnnotation] == "true" {
		return nil
	}
	cp := rs.DeepCopy()
	if cp.Annotations == nil {
		cp.Annotations = map[string]string{}
	}
	cp.Annotations[AvailableAnnotation] = "true"
	out, err := c.client.AppsV1().ReplicaSets(cp.Namespace).Update(ctx, cp, metav1.UpdateOptions{})
	if err != nil {
		return err
	}
	*rs = *out
	return nil
}

func isGone(err error) bool { return apierrors.IsNotFound(err) || apierrors.IsConflict(err) }

// rollbackTarget is the newest ReplicaSet other than failed, older in
// revision, that was once fully available; nil if none.
func rollbackTarget(all []*appsv1.ReplicaSet, failed *appsv1.ReplicaSet) *appsv1.ReplicaSet {
	var best *appsv1.ReplicaSet
	for _, rs := range all {
		if rs == nil || rs == failed || rs.Annotations[AvailableAnnotation] != "true" || revision(rs) >= revision(failed) {
			continue
		}
		if best == nil || revision(rs) > revision(best) {
			best = rs
		}
	}
	return best
}

// autoRollback restores the last available revision's template when the
// rollout of newRS exceeded its deadline and d opted in; once per failed
// revision.
func (c *Controller) autoRollback(ctx context.Context, d *appsv1.Deployment, newRS *appsv1.ReplicaSet, all []*appsv1.ReplicaSet) error {
	if d.Annotations[AutoRollbackAnnotation] != "true" || newRS == nil {
		return nil
	}
	cond := getCondition(d.Status, appsv1.DeploymentProgressing)
	// The condition must be about newRS: after a rollback it still names
	// the failed one until the rollout moves.
	if cond == nil || cond.Reason != ReasonTimedOut || cond.Message != progressMessage(d, newRS, "has timed out progressing") {
		return nil
	}
	failed := strconv.FormatInt(revision(newRS), 10)
	if d.Annotations[RolledBackFromAnnotation] == failed {
		return nil
	}
	target := rollbackTarget(all, newRS)
	next := d.DeepCopy()
	next.Annotations[RolledBackFromAnnotation] = failed
	if target != nil {
		next.Spec.Template = *target.Spec.Template.DeepCopy()
		delete(next.Spec.Template.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	}
	if _, err := c.client.AppsV1().Deployments(d.Namespace).Update(ctx, next, metav1.UpdateOptions{}); err != nil {
		return err
	}
	if target == nil {
		c.recorder.Eventf(d, corev1.EventTypeWarning, ReasonAutoRollback,
			"Revision %s exceeded its progress deadline and no earlier revision was ever available: not rolling back", failed)
		return nil
	}
	c.metrics.rollbacks.Inc()
	c.recorder.Eventf(d, corev1.EventTypeWarning, ReasonAutoRollback,
		"Rolled back from revision %s to revision %d: ReplicaSet %q exceeded its progress deadline", failed, revision(target), newRS.Name)
	return nil
}
