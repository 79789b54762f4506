package kubelet

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// podBuilder builds test pods: makePod().init("i").containers("a").obj().
type podBuilder struct{ pod *corev1.Pod }

func makePod() *podBuilder {
	return &podBuilder{&corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: "u1"},
		Spec:       corev1.PodSpec{NodeName: "n1", RestartPolicy: corev1.RestartPolicyAlways},
	}}
}

func (b *podBuilder) containers(names ...string) *podBuilder {
	for _, n := range names {
		b.pod.Spec.Containers = append(b.pod.Spec.Containers, corev1.Container{Name: n, Image: "img"})
	}
	return b
}

func (b *podBuilder) init(names ...string) *podBuilder {
	for _, n := range names {
		b.pod.Spec.InitContainers = append(b.pod.Spec.InitContainers, corev1.Container{Name: n, Image: "img"})
	}
	return b
}

func (b *podBuilder) policy(p corev1.RestartPolicy) *podBuilder {
	b.pod.Spec.RestartPolicy = p
	return b
}
func (b *podBuilder) obj() *corev1.Pod { return b.pod }

// criC is a container instance in CRI.
func criC(name string, attempt uint32, state runtimeapi.ContainerState, exit int32, reason string) *runtimeapi.ContainerStatus {
	c := &runtimeapi.ContainerStatus{
		Id: name + "-" + string(rune('0'+attempt)), Metadata: &runtimeapi.ContainerMetadata{Name: name, Attempt: attempt},
		State: state, CreatedAt: t0.Add(time.Duration(attempt) * time.Second).UnixNano(), StartedAt: t0.Add(time.Duration(attempt) * time.Second).UnixNano(),
		ImageRef: "sha256:abc",
	}
	if state == runtimeapi.ContainerState_CONTAINER_EXITED {
		c.ExitCode, c.Reason, c.FinishedAt = exit, reason, t0.Add(time.Duration(attempt)*time.Second+500*time.Millisecond).UnixNano()
	}
	return c
}

const (
	running = runtimeapi.ContainerState_CONTAINER_RUNNING
	exited  = runtimeapi.ContainerState_CONTAINER_EXITED
	created = runtimeapi.ContainerState_CONTAINER_CREATED
)

// summary is the part of a status the table checks.
type summary struct {
	Phase      corev1.PodPhase
	PodIP      string
	Conditions map[corev1.PodConditionType]corev1.ConditionStatus
	States     []string // per app container: state[:reason/exit] restarts ready
	InitStates []string
}

func summarize(st corev1.PodStatus) summary {
	s := summary{Phase: st.Phase, PodIP: st.PodIP, Conditions: map[corev1.PodConditionType]corev1.ConditionStatus{}}
	for _, c := range st.Conditions {
		s.Conditions[c.Type] = c.Status
	}
	one := func(cs corev1.ContainerStatus) string {
		out := "?"
		switch {
		case cs.State.Running != nil:
			out = "running"
		case cs.State.Waiting != nil:
			out = "waiting:" + cs.State.Waiting.Reason
		case cs.State.Terminated != nil:
			out = "terminated:" + cs.State.Terminated.Reason + ":" + string(rune('0'+cs.State.Terminated.ExitCode))
		}
		if cs.LastTerminationState.Terminated != nil {
			out += " last:" + string(rune('0'+cs.LastTerminationState.Terminated.ExitCode))
		}
		out += " restarts:" + string(rune('0'+cs.RestartCount))
		if cs.Ready {
			out += " ready"
		}
		return out
	}
	for _, cs := range st.ContainerStatuses {
		s.States = append(s.States, one(cs))
	}
	for _, cs := range st.InitContainerStatuses {
		s.InitStates = append(s.InitStates, one(cs))
	}
	return s
}

func conds(init, cready, ready corev1.ConditionStatus) map[corev1.PodConditionType]corev1.ConditionStatus {
	return map[corev1.PodConditionType]corev1.ConditionStatus{
		corev1.PodScheduled: corev1.ConditionTrue, corev1.PodInitialized: init, corev1.ContainersReady: cready, corev1.PodReady: ready,
	}
}

const (
	T = corev1.ConditionTrue
	F = corev1.ConditionFalse
)

func TestComputeStatus(t *testing.T) {
	sandbox := &runtimeapi.PodSandboxStatus{Network: &runtimeapi.PodSandboxNetworkStatus{Ip: "10.42.0.5"}}
	tests := []struct {
		name       string
		pod        *corev1.Pod
		containers []*runtimeapi.ContainerStatus
		waiting    map[string]waiting
		want       summary
	}{{
		name: "nothing created yet",
		pod:  makePod().containers("a").obj(),
		want: summary{Phase: corev1.PodPending, PodIP: "10.42.0.5", Conditions: conds(T, F, F), States: []string{"waiting:ContainerCreating restarts:0"}},
	}, {
		name:       "running and ready",
		pod:        makePod().containers("a").obj(),
		containers: []*runtimeapi.ContainerStatus{criC("a", 0, running, 0, "")},
		want:       summary{Phase: corev1.PodRunning, PodIP: "10.42.0.5", Conditions: conds(T, T, T), States: []string{"running restarts:0 ready"}},
	}, {
		name:       "one of two running: pending, as in Kubernetes",
		pod:        makePod().containers("a", "b").obj(),
		containers: []*runtimeapi.ContainerStatus{criC("a", 0, running, 0, ""), criC("b", 0, created, 0, "")},
		want:       summary{Phase: corev1.PodPending, PodIP: "10.42.0.5", Conditions: conds(T, F, F), States: []string{"running restarts:0 ready", "waiting:ContainerCreating restarts:0"}},
	}, {
		name:       "never, exit 3: failed",
		pod:        makePod().containers("a").policy(corev1.RestartPolicyNever).obj(),
		containers: []*runtimeapi.ContainerStatus{criC("a", 0, exited, 3, "Error")},
		want:       summary{Phase: corev1.PodFailed, PodIP: "10.42.0.5", Conditions: conds(T, F, F), States: []string{"terminated:Error:3 restarts:0"}},
	}, {
		name:       "onfailure, exit 0: succeeded",
		pod:        makePod().containers("a").policy(corev1.RestartPolicyOnFailure).obj(),
		containers: []*runtimeapi.ContainerStatus{criC("a", 0, exited, 0, "Completed")},
		want:       summary{Phase: corev1.PodSucceeded, PodIP: "10.42.0.5", Conditions: conds(T, F, F), States: []string{"terminated:Completed:0 restarts:0"}},
	}, {
		name:       "oom killed, reason from CRI",
		pod:        makePod().containers("a").policy(corev1.RestartPolicyNever).obj(),
		containers: []*runtimeapi.ContainerStatus{criC("a", 0, exited, 9, "OOMKilled")},
		want:       summary{Phase: corev1.PodFailed, PodIP: "10.42.0.5", Conditions: conds(T, F, F), States: []string{"terminated:OOMKilled:9 restarts:0"}},
	}, {
		name:       "always, in back-off: running phase, waiting CrashLoopBackOff",
		pod:        makePod().containers("a").obj(),
		containers: []*runtimeapi.ContainerStatus{criC("a", 1, exited, 1, "Error"), criC("a", 0, exited, 1, "Error")},
		waiting:    map[string]waiting{"a": {reason: "CrashLoopBackOff"}},
		want:       summary{Phase: corev1.PodRunning, PodIP: "10.42.0.5", Conditions: conds(T, F, F), States: []string{"waiting:CrashLoopBackOff last:1 restarts:1"}},
	}, {
		name:       "restarted and running: last state is the previous run",
		pod:        makePod().containers("a").obj(),
		containers: []*runtimeapi.ContainerStatus{criC("a", 0, exited, 2, "Error"), criC("a", 1, running, 0, "")},
		want:       summary{Phase: corev1.PodRunning, PodIP: "10.42.0.5", Conditions: conds(T, T, T), States: []string{"running last:2 restarts:1 ready"}},
	}, {
		name:       "init running",
		pod:        makePod().init("i").containers("a").obj(),
		containers: []*runtimeapi.ContainerStatus{criC("i", 0, running, 0, "")},
		want: summary{Phase: corev1.PodPending, PodIP: "10.42.0.5", Conditions: conds(F, F, F),
			InitStates: []string{"running restarts:0 ready"}, States: []string{"waiting:PodInitializing restarts:0"}},
	}, {
		name:       "init done, app running",
		pod:        makePod().init("i").containers("a").obj(),
		containers: []*runtimeapi.ContainerStatus{criC("i", 0, exited, 0, "Completed"), criC("a", 0, running, 0, "")},
		want: summary{Phase: corev1.PodRunning, PodIP: "10.42.0.5", Conditions: conds(T, T, T),
			InitStates: []string{"terminated:Completed:0 restarts:0"}, States: []string{"running restarts:0 ready"}},
	}, {
		name:       "init failed, never: failed",
		pod:        makePod().init("i").containers("a").policy(corev1.RestartPolicyNever).obj(),
		containers: []*runtimeapi.ContainerStatus{criC("i", 0, exited, 1, "Error")},
		want: summary{Phase: corev1.PodFailed, PodIP: "10.42.0.5", Conditions: conds(F, F, F),
			InitStates: []string{"terminated:Error:1 restarts:0"}, States: []string{"waiting:PodInitializing restarts:0"}},
	}, {
		name:    "image pull failed",
		pod:     makePod().containers("a").obj(),
		waiting: map[string]waiting{"a": {reason: "ErrImagePull", message: "no"}},
		want:    summary{Phase: corev1.PodPending, PodIP: "10.42.0.5", Conditions: conds(T, F, F), States: []string{"waiting:ErrImagePull restarts:0"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := computeStatus(statusInput{pod: tt.pod, prev: tt.pod.Status, sandbox: sandbox, containers: tt.containers, waiting: tt.waiting, hostIP: "192.0.2.2", now: t0})
			if d := cmp.Diff(tt.want, summarize(st)); d != "" {
				t.Errorf("status (-want +got):\n%s", d)
			}
		})
	}
}

func TestComputeStatusStable(t *testing.T) {
	pod := makePod().containers("a").obj()
	in := statusInput{pod: pod, prev: pod.Status, containers: []*runtimeapi.ContainerStatus{criC("a", 0, running, 0, "")}, hostIP: "192.0.2.2", now: t0}
	first := computeStatus(in)
	in.prev, in.now = first, t0.Add(time.Minute)
	if d := cmp.Diff(first, computeStatus(in)); d != "" {
		t.Errorf("unchanged pod, later: status changed (-first +second):\n%s", d)
	}
}

func TestComputeStatusHostNetwork(t *testing.T) {
	pod := makePod().containers("a").obj()
	pod.Spec.HostNetwork = true
	st := computeStatus(statusInput{pod: pod, prev: pod.Status, hostIP: "192.0.2.2", now: t0})
	if st.PodIP != "192.0.2.2" {
		t.Errorf("podIP %q, want the host's", st.PodIP)
	}
}

func TestComputeStatusKeepsTerminalPhase(t *testing.T) {
	pod := makePod().containers("a").obj()
	prev := corev1.PodStatus{Phase: corev1.PodFailed}
	st := computeStatus(statusInput{pod: pod, prev: prev, containers: []*runtimeapi.ContainerStatus{criC("a", 0, running, 0, "")}, hostIP: "192.0.2.2", now: t0})
	if st.Phase != corev1.PodFailed {
		t.Errorf("phase %s: a terminal phase must stay", st.Phase)
	}
}
