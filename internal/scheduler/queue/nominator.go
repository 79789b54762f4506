package queue

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

// AddNominatedPod records that pod waits for room on node (preemption).
func (q *PriorityQueue) AddNominatedPod(pi *framework.PodInfo, node string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.addNominatedLocked(pi, node)
}

func (q *PriorityQueue) addNominatedLocked(pi *framework.PodInfo, node string) {
	q.deleteNominatedLocked(pi.Pod.UID)
	if node == "" {
		return
	}
	q.nominatedOn[pi.Pod.UID] = node
	q.nominatedCount.Store(int64(len(q.nominatedOn)))
	q.nominated[node] = append(q.nominated[node], pi)
}

// DeleteNominatedPodIfExists forgets pod's nomination.
func (q *PriorityQueue) DeleteNominatedPodIfExists(pod *corev1.Pod) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.deleteNominatedLocked(pod.UID)
}

func (q *PriorityQueue) deleteNominatedLocked(uid types.UID) {
	node, ok := q.nominatedOn[uid]
	if !ok {
		return
	}
	delete(q.nominatedOn, uid)
	q.nominatedCount.Store(int64(len(q.nominatedOn)))
	l := q.nominated[node]
	out := make([]*framework.PodInfo, 0, len(l))
	for _, pi := range l {
		if pi.Pod.UID != uid {
			out = append(out, pi)
		}
	}
	if len(out) == 0 {
		delete(q.nominated, node)
		return
	}
	q.nominated[node] = out
}

// updateNominatedLocked follows status.nominatedNodeName of a pending pod
// (oldPod is nil for a new one). A nomination the scheduler made that the
// pod does not show yet is kept; one the pod stopped showing is dropped.
func (q *PriorityQueue) updateNominatedLocked(oldPod, pod *corev1.Pod) {
	node := pod.Status.NominatedNodeName
	if node == "" && (oldPod == nil || oldPod.Status.NominatedNodeName == "") {
		node = q.nominatedOn[pod.UID]
	}
	if node == "" {
		q.deleteNominatedLocked(pod.UID)
		return
	}
	q.addNominatedLocked(framework.NewPodInfo(pod), node)
}

// HasNominatedPods implements framework.PodNominator, without the lock.
func (q *PriorityQueue) HasNominatedPods() bool { return q.nominatedCount.Load() > 0 }

// NominatedPodsForNode implements framework.PodNominator.
func (q *PriorityQueue) NominatedPodsForNode(node string) []*framework.PodInfo {
	if !q.HasNominatedPods() {
		return nil
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]*framework.PodInfo(nil), q.nominated[node]...)
}
