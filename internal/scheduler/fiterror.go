package scheduler

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

// ErrNoNodesAvailable is returned when the cluster has no nodes at all.
var ErrNoNodesAvailable = errors.New("no nodes available to schedule pods")

// Diagnosis records why no node fits a pod.
type Diagnosis struct {
	NodeToStatus framework.NodeToStatus
	// UnschedulablePlugins rejected the pod somewhere.
	UnschedulablePlugins map[string]bool
	// PreFilterMsg is set when a PreFilter plugin rejected the pod.
	PreFilterMsg string
	// PostFilterMsg is what preemption said.
	PostFilterMsg string
}

// FitError is a scheduling failure because no node fits.
type FitError struct {
	Pod         *corev1.Pod
	NumAllNodes int
	Diagnosis   Diagnosis
}

// Error formats the message kube-scheduler puts in the FailedScheduling
// event and the PodScheduled condition, e.g.
// "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated
// taint {a: b}. preemption: 0/3 nodes are available: 3 Preemption is not
// helpful for scheduling.": each reason with the number of nodes giving
// it, sorted as strings.
func (f *FitError) Error() string {
	msg := fmt.Sprintf("0/%d nodes are available:", f.NumAllNodes)
	if f.Diagnosis.PreFilterMsg != "" {
		msg += " " + f.Diagnosis.PreFilterMsg + "."
	} else if h := framework.ReasonHistogram(f.Diagnosis.NodeToStatus); h != "" {
		msg += " " + h + "."
	}
	if f.Diagnosis.PostFilterMsg != "" {
		msg += " " + f.Diagnosis.PostFilterMsg + "."
	}
	return msg
}
