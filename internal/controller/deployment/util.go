package deployment

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/rand"
)

// Annotations the controller writes, as Kubernetes names them, and skiff's
// own.
const (
	RevisionAnnotation        = "deployment.kubernetes.io/revision"
	RevisionHistoryAnnotation = "deployment.kubernetes.io/revision-history"
	DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas"
	MaxReplicasAnnotation     = "deployment.kubernetes.io/max-replicas"
	// AutoRollbackAnnotation "true" on a Deployment turns automatic
	// rollback on.
	AutoRollbackAnnotation = "skiff.dev/auto-rollback"
	// AvailableAnnotation "true" on a ReplicaSet records that its
	// revision was once fully available.
	AvailableAnnotation = "skiff.dev/available"
	// RolledBackFromAnnotation on a Deployment holds the revision whose
	// failure last caused an automatic rollback.
	RolledBackFromAnnotation = "skiff.dev/rolled-back-from"

	lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"
	rollbackToAnnotation  = "deprecated.deployment.rollback.to"
	// maxRevHistoryLength caps revision-history, in characters.
	maxRevHistoryLength = 2000
)

// notCopied are the Deployment annotations a ReplicaSet does not inherit.
var notCopied = map[string]bool{
	lastAppliedAnnotation: true, RevisionAnnotation: true, RevisionHistoryAnnotation: true,
	DesiredReplicasAnnotation: true, MaxReplicasAnnotation: true, rollbackToAnnotation: true,
	AvailableAnnotation: true, RolledBackFromAnnotation: true,
}

// computeHash hashes a pod template (and the collision count, which
// changes the name when two templates collide), as the pod-template-hash.
func computeHash(t *corev1.PodTemplateSpec, collisionCount *int32) string {
	h := fnv.New32a()
	b, _ := json.Marshal(t) // A PodTemplateSpec always marshals.
	h.Write(b)
	if collisionCount != nil {
		var c [4]byte
		binary.LittleEndian.PutUint32(c[:], uint32(*collisionCount))
		h.Write(c[:])
	}
	return rand.SafeEncodeString(fmt.Sprint(h.Sum32()))
}

// equalIgnoreHash compares two templates without the pod-template-hash
// label.
func equalIgnoreHash(a, b *corev1.PodTemplateSpec) bool {
	a, b = a.DeepCopy(), b.DeepCopy()
	delete(a.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	delete(b.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	if len(a.Labels) == 0 {
		a.Labels = nil
	}
	if len(b.Labels) == 0 {
		b.Labels = nil
	}
	return apiequality.Semantic.DeepEqual(a, b)
}

func revision(obj metav1.Object) int64 {
	v, _ := strconv.ParseInt(obj.GetAnnotations()[RevisionAnnotation], 10, 64)
	return v
}

func maxRevision(rss []*appsv1.ReplicaSet) int64 {
	var m int64
	for _, rs := range rss {
		m = max(m, revision(rs))
	}
	return m
}

func replicasOf(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}

func dReplicas(d *appsv1.Deployment) int32 { return replicasOf(d.Spec.Replicas) }

func rsReplicas(rs *appsv1.ReplicaSet) int32 {
	if rs.Spec.Replicas == nil {
		return 0
	}
	return *rs.Spec.Replicas
}

// scaledValue resolves an int-or-percent against total, rounding percent
// up or down.
func scaledValue(v *intstr.IntOrString, total int32, roundUp bool) int32 {
	if v == nil {
		return 0
	}
	if v.Type == intstr.Int {
		return v.IntVal
	}
	p, err := strconv.Atoi(strings.TrimSuffix(v.StrVal, "%"))
	if err != nil {
		return 0
	}
	f := float64(p) * float64(total) / 100
	if roundUp {
		return int32(math.Ceil(f))
	}
	return int32(math.Floor(f))
}

// fenceposts returns maxSurge and maxUnavailable as counts for desired
// replicas; both zero would deadlock, so unavailable becomes 1.
func fenceposts(d *appsv1.Deployment, desired int32) (surge, unavailable int32) {
	ru := d.Spec.Strategy.RollingUpdate
	if ru == nil {
		return 0, 1
	}
	surge = scaledValue(ru.MaxSurge, desired, true)
	unavailable = scaledValue(ru.MaxUnavailable, desired, false)
	if surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	return surge, unavailable
}

func isRolling(d *appsv1.Deployment) bool {
	return d.Spec.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType
}

// maxSurge is how many pods above replicas a rollout may create.
func maxSurge(d *appsv1.Deployment) int32 {
	if !isRolling(d) {
		return 0
	}
	s, _ := fenceposts(d, dReplicas(d))
	return s
}

// maxUnavailable is how many of replicas may be unavailable in a rollout.
func maxUnavailable(d *appsv1.Deployment) int32 {
	if !isRolling(d) || dReplicas(d) == 0 {
		return 0
	}
	_, u := fenceposts(d, dReplicas(d))
	return min(u, dReplicas(d))
}

// newRSReplicas is the size the new ReplicaSet may grow to now.
func newRSReplicas(d *appsv1.Deployment, all []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) int32 {
	if !isRolling(d) {
		return dReplicas(d)
	}
	current := specSum(all)
	total := dReplicas(d) + maxSurge(d)
	if current >= total {
		return rsReplicas(newRS)
	}
	up := min(total-current, dReplicas(d)-rsReplicas(newRS))
	return rsReplicas(newRS) + up
}

func specSum(rss []*appsv1.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += rsReplicas(rs)
		}
	}
	return n
}

func sumStatus(rss []*appsv1.ReplicaSet, f func(appsv1.ReplicaSetStatus) int32) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += f(rs.Status)
		}
	}
	return n
}

func available(s appsv1.ReplicaSetStatus) int32 { return s.AvailableReplicas }

// availableWithin counts the available pods the ReplicaSets will keep:
// at most each one's spec.replicas, because right after a scale down its
// status still counts the pods being deleted. Scaling down by the raw
// count would take the Deployment below its maxUnavailable.
func availableWithin(rss []*appsv1.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += min(rs.Status.AvailableReplicas, rsReplicas(rs))
		}
	}
	return n
}
func actual(s appsv1.ReplicaSetStatus) int32 { return s.Replicas }
func ready(s appsv1.ReplicaSetStatus) int32  { return s.ReadyReplicas }

func active(rss []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
	var out []*appsv1.ReplicaSet
	for _, rs := range rss {
		if rs != nil && rsReplicas(rs) > 0 {
			out = append(out, rs)
		}
	}
	return out
}

// byCreation sorts oldest first, ties by name.
func byCreation(rss []*appsv1.ReplicaSet) {
	sort.SliceStable(rss, func(i, j int) bool {
		a, b := rss[i].CreationTimestamp, rss[j].CreationTimestamp
		if a.Equal(&b) {
			return rss[i].Name < rss[j].Name
		}
		return a.Before(&b)
	})
}

// bySize sorts larger first; ties newer first when newer, else older.
func bySize(rss []*appsv1.ReplicaSet, newer bool) {
	byCreation(rss)
	if newer {
		for i, j := 0, len(rss)-1; i < j; i, j = i+1, j-1 {
			rss[i], rss[j] = rss[j], rss[i]
		}
	}
	sort.SliceStable(rss, func(i, j int) bool { return rsReplicas(rss[i]) > rsReplicas(rss[j]) })
}

// setReplicasAnnotations records desired and max replicas on rs; false
// means they were already there.
func setReplicasAnnotations(rs *appsv1.ReplicaSet, desired, maxReplicas int32) bool {
	want := map[string]string{
		DesiredReplicasAnnotation: strconv.Itoa(int(desired)),
		MaxReplicasAnnotation:     strconv.Itoa(int(maxReplicas)),
	}
	changed := false
	for k, v := range want {
		if rs.Annotations[k] != v {
			if rs.Annotations == nil {
				rs.Annotations = map[string]string{}
			}
			rs.Annotations[k] = v
			changed = true
		}
	}
	return changed
}

func intAnnotation(obj metav1.Object, key string) (int32, bool) {
	v, ok := obj.GetAnnotations()[key]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 32)
	return int32(n), err == nil
}

// setNewRSAnnotations copies the Deployment's annotations to rs and moves
// its revision up to rev, keeping the old one in revision-history; false
// means nothing changed.
func setNewRSAnnotations(d *appsv1.Deployment, rs *appsv1.ReplicaSet, rev int64, exists bool) bool {
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	changed := false
	for k, v := range d.Annotations {
		if notCopied[k] || rs.Annotations[k] == v {
			continue
		}
		rs.Annotations[k] = v
		changed = true
	}
	old := rs.Annotations[RevisionAnnotation]
	oldRev, _ := strconv.ParseInt(old, 10, 64)
	if old == "" || oldRev < rev {
		rs.Annotations[RevisionAnnotation] = strconv.FormatInt(rev, 10)
		changed = true
		if old != "" {
			addRevisionHistory(rs, old)
		}
	}
	if !exists && setReplicasAnnotations(rs, dReplicas(d), dReplicas(d)+maxSurge(d)) {
		changed = true
	}
	return changed
}

func addRevisionHistory(rs *appsv1.ReplicaSet, old string) {
	h := rs.Annotations[RevisionHistoryAnnotation]
	if h == "" {
		h = old
	} else {
		h += "," + old
	}
	for len(h) > maxRevHistoryLength {
		_, rest, ok := strings.Cut(h, ",")
		if !ok {
			break
		}
		h = rest
	}
	rs.Annotations[RevisionHistoryAnnotation] = h
}

// templateWithHash returns d's template labelled with its hash, and the
// matching selector.
func templateWithHash(d *appsv1.Deployment, hash string) (corev1.PodTemplateSpec, *metav1.LabelSelector) {
	t := *d.Spec.Template.DeepCopy()
	t.Labels = maps.Clone(t.Labels)
	if t.Labels == nil {
		t.Labels = map[string]string{}
	}
	t.Labels[appsv1.DefaultDeploymentUniqueLabelKey] = hash
	sel := d.Spec.Selector.DeepCopy()
	if sel.MatchLabels == nil {
		sel.MatchLabels = map[string]string{}
	}
	sel.MatchLabels[appsv1.DefaultDeploymentUniqueLabelKey] = hash
	return t, sel
}
