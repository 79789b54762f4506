package kubelet

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// waiting is why a container is not running, as the pod worker decided
// (CrashLoopBackOff, ErrImagePull, CreateContainerError, ...).
type waiting struct{ reason, message string }

// statusInput is everything a pod's status is computed from.
type statusInput struct {
	pod *corev1.Pod
	// prev is the status last written (the pod's, if none).
	prev corev1.PodStatus
	// sandbox is the newest sandbox's status; nil if there is none.
	sandbox *runtimeapi.PodSandboxStatus
	// containers are every instance of the pod's containers in CRI.
	containers []*runtimeapi.ContainerStatus
	// waiting holds the worker's reasons per container name.
	waiting map[string]waiting
	hostIP  string
	now     time.Time
	// probed gives a running instance's readiness and whether it has
	// started; nil: running means both.
	probed func(c corev1.Container, id string) (ready, started bool)
}

// computeStatus derives the pod's status from the runtime's view. It is
// deterministic: the same input gives the same status, so an unchanged
// pod is never written.
func computeStatus(in statusInput) corev1.PodStatus {
	st := *in.prev.DeepCopy()
	pod := in.pod
	byName := instancesByName(in.containers)
	st.InitContainerStatuses = nil
	for _, c := range pod.Spec.InitContainers {
		st.InitContainerStatuses = append(st.InitContainerStatuses, containerStatus(c, byName[c.Name], in.waiting, "PodInitializing", nil))
	}
	initDone, initFailed, pendingInit := initProgress(pod, st.InitContainerStatuses)
	appWaitReason := "ContainerCreating"
	if !initDone {
		appWaitReason = "PodInitializing"
	}
	st.ContainerStatuses = nil
	for _, c := range pod.Spec.Containers {
		st.ContainerStatuses = append(st.ContainerStatuses, containerStatus(c, byName[c.Name], in.waiting, appWaitReason, in.probed))
	}
	if !isTerminal(in.prev.Phase) {
		st.Phase = podPhase(pod.Spec.RestartPolicy, initDone, initFailed, st.ContainerStatuses)
	}
	st.HostIP = in.hostIP
	st.HostIPs = []corev1.HostIP{{IP: in.hostIP}}
	setPodIPs(&st, pod, in.sandbox, in.hostIP)
	if st.StartTime == nil {
		t := metav1.NewTime(in.now.UTC().Truncate(time.Second))
		st.StartTime = &t
	}
	st.Conditions = podConditions(in, st, initDone, pendingInit)
	return st
}

// instancesByName groups container instances by container name, newest
// (highest attempt, then latest creation) first.
func instancesByName(cs []*runtimeapi.ContainerStatus) map[string][]*runtimeapi.ContainerStatus {
	out := map[string][]*runtimeapi.ContainerStatus{}
	for _, c := range cs {
		name := c.GetMetadata().GetName()
		out[name] = append(out[name], c)
	}
	for _, l := range out {
		sort.Slice(l, func(i, j int) bool {
			if a, b := l[i].GetMetadata().GetAttempt(), l[j].GetMetadata().GetAttempt(); a != b {
				return a > b
			}
			return l[i].CreatedAt > l[j].CreatedAt
		})
	}
	return out
}

// containerStatus is one container's status from its instances, newest
// first. waitReason applies when it has never been created.
func containerStatus(c corev1.Container, inst []*runtimeapi.ContainerStatus, w map[string]waiting, waitReason string, probed func(corev1.Container, string) (bool, bool)) corev1.ContainerStatus {
	cs := corev1.ContainerStatus{Name: c.Name, Image: c.Image, Started: new(false)}
	if len(inst) == 0 {
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: waitReason}
		if wr, ok := w[c.Name]; ok {
			cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: wr.reason, Message: wr.message}
		}
		return cs
	}
	latest := inst[0]
	cs.RestartCount = int32(latest.GetMetadata().GetAttempt())
	cs.ImageID = latest.ImageRef
	cs.ContainerID = "containerd://" + latest.Id
	cs.State = runtimeState(latest)
	setTerminationMessage(&cs.State, c, latest)
	if len(inst) > 1 {
		cs.LastTerminationState = runtimeState(inst[1])
		setTerminationMessage(&cs.LastTerminationState, c, inst[1])
	}
	if wr, ok := w[c.Name]; ok && cs.State.Running == nil {
		// The latest instance is done and will not run again yet.
		cs.LastTerminationState = cs.State
		cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: wr.reason, Message: wr.message}}
	}
	ready, started := cs.State.Running != nil, cs.State.Running != nil
	if started && probed != nil {
		ready, started = probed(c, latest.Id)
	}
	cs.Ready, cs.Started = ready, &started
	return cs
}

// runtimeState maps a CRI container state to the API's.
func runtimeState(c *runtimeapi.ContainerStatus) corev1.ContainerState {
	switch c.State {
	case runtimeapi.ContainerState_CONTAINER_RUNNING:
		return corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: nanoTime(c.StartedAt)}}
	case runtimeapi.ContainerState_CONTAINER_EXITED:
		reason := c.Reason
		if reason == "" {
			reason = "Error"
			if c.ExitCode == 0 {
				reason = "Completed"
			}
		}
		return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: c.ExitCode, Reason: reason, Message: c.Message,
			StartedAt: nanoTime(c.StartedAt), FinishedAt: nanoTime(c.FinishedAt), ContainerID: "containerd://" + c.Id,
		}}
	default:
		return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}
	}
}

func nanoTime(ns int64) metav1.Time {
	if ns == 0 {
		return metav1.Time{}
	}
	return metav1.NewTime(time.Unix(0, ns).UTC().Truncate(time.Second))
}

// initProgress reports whether every init container succeeded, whether
// one failed for good (restartPolicy Never), and the names not done yet.
func initProgress(pod *corev1.Pod, statuses []corev1.ContainerStatus) (done, failed bool, pending []string) {
	for _, s := range statuses {
		t := s.State.Terminated
		if t != nil && t.ExitCode == 0 {
			continue
		}
		pending = append(pending, s.Name)
		if pod.Spec.RestartPolicy == corev1.RestartPolicyNever && t != nil {
			failed = true
		}
	}
	return len(pending) == 0, failed, pending
}

// podPhase follows the Kubernetes kubelet: a container waiting after a
// previous run (CrashLoopBackOff) counts as stopped, not as waiting.
func podPhase(policy corev1.RestartPolicy, initDone, initFailed bool, cs []corev1.ContainerStatus) corev1.PodPhase {
	if initFailed {
		return corev1.PodFailed
	}
	if !initDone {
		return corev1.PodPending
	}
	var running, waitingN, stopped, succeeded int
	for _, s := range cs {
		switch {
		case s.State.Running != nil:
			running++
		case s.State.Terminated != nil:
			stopped++
			if s.State.Terminated.ExitCode == 0 {
				succeeded++
			}
		case s.LastTerminationState.Terminated != nil:
			stopped++
		default:
			waitingN++
		}
	}
	switch {
	case waitingN > 0:
		return corev1.PodPending
	case running > 0:
		return corev1.PodRunning
	case stopped > 0 && policy == corev1.RestartPolicyAlways:
		return corev1.PodRunning
	case stopped > 0 && stopped == succeeded:
		return corev1.PodSucceeded
	case stopped > 0 && policy == corev1.RestartPolicyNever:
		return corev1.PodFailed
	case stopped > 0:
		return corev1.PodRunning // OnFailure: the failed ones restart
	}
	return corev1.PodPending
}

func isTerminal(p corev1.PodPhase) bool { return p == corev1.PodSucceeded || p == corev1.PodFailed }

func setPodIPs(st *corev1.PodStatus, pod *corev1.Pod, sb *runtimeapi.PodSandboxStatus, hostIP string) {
	switch {
	case pod.Spec.HostNetwork:
		st.PodIP, st.PodIPs = hostIP, []corev1.PodIP{{IP: hostIP}}
	case sb.GetNetwork().GetIp() != "":
		st.PodIP, st.PodIPs = sb.Network.Ip, []corev1.PodIP{{IP: sb.Network.Ip}}
		for _, ip := range sb.Network.AdditionalIps {
			st.PodIPs = append(st.PodIPs, corev1.PodIP{IP: ip.Ip})
		}
	}
}

// podConditions returns PodScheduled, Initialized, ContainersReady and
// Ready; a condition keeps its transition time while its status holds.
func podConditions(in statusInput, st corev1.PodStatus, initDone bool, pendingInit []string) []corev1.PodCondition {
	var notReady []string
	for _, s := range st.ContainerStatuses {
		if !s.Ready {
			notReady = append(notReady, s.Name)
		}
	}
	ready := corev1.PodCondition{Status: corev1.ConditionTrue}
	switch {
	case isTerminal(st.Phase):
		ready = corev1.PodCondition{Status: corev1.ConditionFalse, Reason: "PodCompleted"}
	case len(notReady) > 0:
		ready = corev1.PodCondition{Status: corev1.ConditionFalse, Reason: "ContainersNotReady",
			Message: fmt.Sprintf("containers with unready status: [%s]", strings.Join(notReady, " "))}
	}
	initialized := corev1.PodCondition{Status: corev1.ConditionTrue}
	if !initDone {
		initialized = corev1.PodCondition{Status: corev1.ConditionFalse, Reason: "ContainersNotInitialized",
			Message: fmt.Sprintf("containers with incomplete status: [%s]", strings.Join(pendingInit, " "))}
	}
	if isTerminal(st.Phase) && len(in.pod.Spec.InitContainers) > 0 && initDone {
		initialized.Reason = "PodCompleted"
	}
	want := []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}, initialized, ready, ready}
	want[1].Type, want[2].Type, want[3].Type = corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady
	var out []corev1.PodCondition
	for _, c := range in.prev.Conditions {
		if !ownCondition(c.Type) {
			out = append(out, c) // readiness gates and others stay
		}
	}
	for _, c := range want {
		c.LastTransitionTime = metav1.NewTime(in.now.UTC().Truncate(time.Second))
		if old := findCondition(in.prev.Conditions, c.Type); old != nil && old.Status == c.Status {
			c.LastTransitionTime = old.LastTransitionTime
		}
		out = append(out, c)
	}
	return out
}

func ownCondition(t corev1.PodConditionType) bool {
	switch t {
	case corev1.PodScheduled, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady:
		return true
	}
	return false
}

func findCondition(cs []corev1.PodCondition, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range cs {
		if cs[i].Type == t {
			return &cs[i]
		}
	}
	return nil
}
