package deployment

import (
	"context"
	"errors"
	"math"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/controller/podutil"
)

// rolloutRolling moves d towards its new ReplicaSet one step: scale the
// new one up within maxSurge, else old ones down within maxUnavailable.
func (c *Controller) rolloutRolling(ctx context.Context, d *appsv1.Deployment, rss []*appsv1.ReplicaSet) error {
	newRS, old, err := c.replicaSets(ctx, d, rss, true)
	if err != nil {
		return err
	}
	all := append(old, newRS)
	if up, err := c.reconcileNewRS(ctx, d, all, newRS); err != nil || up {
		return errors.Join(err, c.syncRolloutStatus(ctx, d, all, newRS))
	}
	if down, err := c.reconcileOldRSs(ctx, d, all, active(old), newRS); err != nil || down {
		return errors.Join(err, c.syncRolloutStatus(ctx, d, all, newRS))
	}
	if st := calculateStatus(d, all, newRS, c.Now()); complete(d, &st) {
		if err := c.cleanup(ctx, d, old); err != nil {
			return err
		}
	}
	return c.syncRolloutStatus(ctx, d, all, newRS)
}

func (c *Controller) reconcileNewRS(ctx context.Context, d *appsv1.Deployment, all []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) (bool, error) {
	want := dReplicas(d)
	switch cur := rsReplicas(newRS); {
	case cur == want:
		return false, nil
	case cur < want:
		want = newRSReplicas(d, all, newRS)
	}
	return c.scaleRS(ctx, d, newRS, want)
}

// reconcileOldRSs scales old ReplicaSets down as far as maxUnavailable
// allows, unhealthy ones first.
func (c *Controller) reconcileOldRSs(ctx context.Context, d *appsv1.Deployment, all, old []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) (bool, error) {
	if specSum(old) == 0 {
		return false, nil
	}
	minAvailable := dReplicas(d) - maxUnavailable(d)
	newUnavailable := max(0, rsReplicas(newRS)-newRS.Status.AvailableReplicas)
	maxScaledDown := specSum(all) - minAvailable - newUnavailable
	if maxScaledDown <= 0 {
		return false, nil
	}
	cleaned, err := c.cleanupUnhealthy(ctx, d, old, maxScaledDown)
	if err != nil {
		return false, err
	}
	scaled, err := c.scaleDownOld(ctx, d, append(append([]*appsv1.ReplicaSet(nil), old...), newRS), old)
	return cleaned+scaled > 0, err
}

// cleanupUnhealthy scales away unavailable pods of old ReplicaSets, at
// most limit in all.
func (c *Controller) cleanupUnhealthy(ctx context.Context, d *appsv1.Deployment, old []*appsv1.ReplicaSet, limit int32) (int32, error) {
	byCreation(old)
	var total int32
	for _, rs := range old {
		if total >= limit {
			break
		}
		n := rsReplicas(rs)
		// Status may still count pods of a larger size (it lags a scale
		// down): only a shortfall is unhealthy, never a surplus.
		if n == 0 || n <= rs.Status.AvailableReplicas {
			continue
		}
		down := min(limit-total, n-rs.Status.AvailableReplicas)
		if _, err := c.scaleRS(ctx, d, rs, n-down); err != nil {
			return total, err
		}
		total += down
	}
	return total, nil
}

// scaleDownOld removes available old pods while enough stay available.
func (c *Controller) scaleDownOld(ctx context.Context, d *appsv1.Deployment, all, old []*appsv1.ReplicaSet) (int32, error) {
	minAvailable := dReplicas(d) - maxUnavailable(d)
	avail := availableWithin(all)
	if avail <= minAvailable {
		return 0, nil
	}
	byCreation(old)
	budget := avail - minAvailable
	var total int32
	for _, rs := range old {
		if total >= budget {
			break
		}
		n := rsReplicas(rs)
		if n == 0 {
			continue
		}
		down := min(n, budget-total)
		if _, err := c.scaleRS(ctx, d, rs, n-down); err != nil {
			return total, err
		}
		total += down
	}
	return total, nil
}

// rolloutRecreate scales every old ReplicaSet to zero, waits for their
// pods to be gone, then scales the new one up.
func (c *Controller) rolloutRecreate(ctx context.Context, d *appsv1.Deployment, rss []*appsv1.ReplicaSet) error {
	newRS, old, err := c.replicaSets(ctx, d, rss, false)
	if err != nil {
		return err
	}
	all := append(old, newRS)
	scaled := false
	for _, rs := range active(old) {
		if _, err := c.scaleRS(ctx, d, rs, 0); err != nil {
			return err
		}
		scaled = true
	}
	if scaled || c.oldPodsRunning(d, newRS, old) {
		return c.syncRolloutStatus(ctx, d, all, newRS)
	}
	if newRS == nil {
		if newRS, old, err = c.replicaSets(ctx, d, rss, true); err != nil {
			return err
		}
		all = append(old, newRS)
	}
	if _, err := c.scaleRS(ctx, d, newRS, dReplicas(d)); err != nil {
		return err
	}
	if st := calculateStatus(d, all, newRS, c.Now()); complete(d, &st) {
		if err := c.cleanup(ctx, d, old); err != nil {
			return err
		}
	}
	return c.syncRolloutStatus(ctx, d, all, newRS)
}

// oldPodsRunning reports whether a pod of an old ReplicaSet has not
// finished.
func (c *Controller) oldPodsRunning(d *appsv1.Deployment, newRS *appsv1.ReplicaSet, old []*appsv1.ReplicaSet) bool {
	if sumStatus(old, actual) > 0 {
		return true
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return false
	}
	pods, err := c.podLister.Pods(d.Namespace).List(sel)
	if err != nil {
		return true
	}
	for _, p := range pods {
		ref := podutil.GetControllerOf(p)
		if ref == nil || (newRS != nil && ref.UID == newRS.UID) {
			continue
		}
		for _, rs := range old {
			if rs.UID == ref.UID && p.Status.Phase != corev1.PodFailed && p.Status.Phase != corev1.PodSucceeded {
				return true
			}
		}
	}
	return false
}

// syncScale sizes the ReplicaSets for a scaling event or a paused
// Deployment without rolling anything out.
func (c *Controller) syncScale(ctx context.Context, d *appsv1.Deployment, rss []*appsv1.ReplicaSet) error {
	newRS, old, err := c.replicaSets(ctx, d, rss, false)
	if err != nil {
		return err
	}
	if err := c.scale(ctx, d, newRS, old); err != nil {
		return err
	}
	if d.Spec.Paused {
		if err := c.cleanup(ctx, d, old); err != nil {
			return err
		}
	}
	all := append(old, newRS)
	return c.writeStatus(ctx, d, calculateStatus(d, all, newRS, c.Now()))
}

// scale spreads a change of spec.replicas over the active ReplicaSets in
// proportion to their size, as Kubernetes' proportional scaling.
func (c *Controller) scale(ctx context.Context, d *appsv1.Deployment, newRS *appsv1.ReplicaSet, old []*appsv1.ReplicaSet) error {
	if rs := activeOrLatest(newRS, old); rs != nil {
		_, err := c.scaleRS(ctx, d, rs, dReplicas(d))
		return err
	}
	if saturated(d, newRS) {
		for _, rs := range active(old) {
			if _, err := c.scaleRS(ctx, d, rs, 0); err != nil {
				return err
			}
		}
		return nil
	}
	if !isRolling(d) {
		return nil
	}
	all := active(append(append([]*appsv1.ReplicaSet(nil), old...), newRS))
	sizes := proportionalSizes(d, all)
	for _, rs := range all {
		if _, err := c.scaleRS(ctx, d, rs, sizes[rs.Name]); err != nil {
			return err
		}
	}
	return nil
}

// activeOrLatest returns the only active ReplicaSet, or the newest when
// none is active; nil when several are.
func activeOrLatest(newRS *appsv1.ReplicaSet, old []*appsv1.ReplicaSet) *appsv1.ReplicaSet {
	all := active(append(append([]*appsv1.ReplicaSet(nil), old...), newRS))
	switch len(all) {
	case 0:
		if newRS != nil {
			return newRS
		}
		if len(old) == 0 {
			return nil
		}
		sorted := append([]*appsv1.ReplicaSet(nil), old...)
		byCreation(sorted)
		return sorted[len(sorted)-1]
	case 1:
		return all[0]
	}
	return nil
}

func saturated(d *appsv1.Deployment, rs *appsv1.ReplicaSet) bool {
	if rs == nil {
		return false
	}
	want, ok := intAnnotation(rs, DesiredReplicasAnnotation)
	return ok && rsReplicas(rs) == dReplicas(d) && want == dReplicas(d) && rs.Status.AvailableReplicas == dReplicas(d)
}

// proportionalSizes computes the new size of every active ReplicaSet when
// the Deployment is scaled mid-rollout; leftovers go to the first one in
// order (the largest).
func proportionalSizes(d *appsv1.Deployment, all []*appsv1.ReplicaSet) map[string]int32 {
	allowed := int32(0)
	if dReplicas(d) > 0 {
		allowed = dReplicas(d) + maxSurge(d)
	}
	toAdd := allowed - specSum(all)
	bySize(all, toAdd > 0)
	sizes := map[string]int32{}
	var added int32
	for _, rs := range all {
		p := proportion(d, rs, toAdd, added)
		sizes[rs.Name] = rsReplicas(rs) + p
		added += p
	}
	if len(all) > 0 && added != toAdd {
		first := all[0].Name
		sizes[first] = max(sizes[first]+toAdd-added, 0)
	}
	return sizes
}

func proportion(d *appsv1.Deployment, rs *appsv1.ReplicaSet, toAdd, added int32) int32 {
	if rsReplicas(rs) == 0 || toAdd == 0 || toAdd == added {
		return 0
	}
	f := fraction(d, rs)
	if toAdd > 0 {
		return min(f, toAdd-added)
	}
	return max(f, toAdd-added)
}

// fraction is how much rs grows or shrinks to keep its share of the
// Deployment's new size.
func fraction(d *appsv1.Deployment, rs *appsv1.ReplicaSet) int32 {
	if dReplicas(d) == 0 {
		return -rsReplicas(rs)
	}
	total := dReplicas(d) + maxSurge(d)
	annotated, ok := intAnnotation(rs, MaxReplicasAnnotation)
	if !ok || annotated == 0 {
		annotated = d.Status.Replicas
	}
	if annotated == 0 {
		return 0
	}
	size := float64(rsReplicas(rs)*total) / float64(annotated)
	return int32(math.Round(size)) - rsReplicas(rs)
}

// scaleRS sets rs's replicas and replica annotations; true means the
// size changed.
func (c *Controller) scaleRS(ctx context.Context, d *appsv1.Deployment, rs *appsv1.ReplicaSet, n int32) (bool, error) {
	from := rsReplicas(rs)
	cp := rs.DeepCopy()
	annotated := setReplicasAnnotations(cp, dReplicas(d), dReplicas(d)+maxSurge(d))
	if from == n && !annotated {
		return false, nil
	}
	cp.Spec.Replicas = &n
	out, err := c.client.AppsV1().ReplicaSets(cp.Namespace).Update(ctx, cp, metav1.UpdateOptions{})
	if err != nil {
		return false, err
	}
	*rs = *out
	if from != n {
		op := "up"
		if n < from {
			op = "down"
		}
		c.recorder.Eventf(d, corev1.EventTypeNormal, ReasonScalingReplicaSet, "Scaled %s replica set %s from %d to %d", op, rs.Name, from, n)
	}
	return from != n, nil
}

// cleanup deletes the oldest idle ReplicaSets beyond revisionHistoryLimit.
func (c *Controller) cleanup(ctx context.Context, d *appsv1.Deployment, old []*appsv1.ReplicaSet) error {
	if d.Spec.RevisionHistoryLimit == nil {
		return nil
	}
	var alive []*appsv1.ReplicaSet
	for _, rs := range old {
		if rs != nil && rs.DeletionTimestamp == nil {
			alive = append(alive, rs)
		}
	}
	extra := len(alive) - int(*d.Spec.RevisionHistoryLimit)
	if extra <= 0 {
		return nil
	}
	byCreation(alive)
	sort.SliceStable(alive, func(i, j int) bool { return revision(alive[i]) < revision(alive[j]) })
	var errs []error
	for _, rs := range alive[:extra] {
		if rs.Status.Replicas != 0 || rsReplicas(rs) != 0 || rs.Generation > rs.Status.ObservedGeneration {
			continue
		}
		err := c.client.AppsV1().ReplicaSets(rs.Namespace).Delete(ctx, rs.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &rs.UID}})
		if err != nil && !isGone(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
