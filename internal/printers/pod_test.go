package printers

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) metav1.Time { return metav1.NewTime(now.Add(-d)) }

// podBuilder makes test pods: makePod("a").containers("c").obj().
type podBuilder struct{ pod *corev1.Pod }

func makePod(name string) *podBuilder {
	return &podBuilder{&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: ago(10 * time.Minute)}}}
}

func (b *podBuilder) containers(names ...string) *podBuilder {
	for _, n := range names {
		b.pod.Spec.Containers = append(b.pod.Spec.Containers, corev1.Container{Name: n, Image: n + ":1"})
	}
	return b
}

func (b *podBuilder) initContainers(names ...string) *podBuilder {
	for _, n := range names {
		b.pod.Spec.InitContainers = append(b.pod.Spec.InitContainers, corev1.Container{Name: n})
	}
	return b
}

func (b *podBuilder) phase(p corev1.PodPhase) *podBuilder { b.pod.Status.Phase = p; return b }

func (b *podBuilder) status(cs ...corev1.ContainerStatus) *podBuilder {
	b.pod.Status.ContainerStatuses = append(b.pod.Status.ContainerStatuses, cs...)
	return b
}

func (b *podBuilder) initStatus(cs ...corev1.ContainerStatus) *podBuilder {
	b.pod.Status.InitContainerStatuses = append(b.pod.Status.InitContainerStatuses, cs...)
	return b
}

func (b *podBuilder) condition(t corev1.PodConditionType) *podBuilder {
	b.pod.Status.Conditions = append(b.pod.Status.Conditions, corev1.PodCondition{Type: t, Status: corev1.ConditionTrue})
	return b
}

func (b *podBuilder) deleting(reason string) *podBuilder {
	ts := ago(time.Second)
	b.pod.DeletionTimestamp, b.pod.Status.Reason = &ts, reason
	return b
}

func (b *podBuilder) obj() *corev1.Pod { return b.pod }

func running(name string, ready bool) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, Ready: ready, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}
}

func waiting(name, reason string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}}
}

func terminated(name, reason string, code int32) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: reason, ExitCode: code}}}
}

func restarted(cs corev1.ContainerStatus, n int32, finished time.Duration) corev1.ContainerStatus {
	cs.RestartCount = n
	cs.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{FinishedAt: ago(finished)}
	return cs
}

func TestPodStatus(t *testing.T) {
	tests := []struct {
		name string
		pod  *corev1.Pod
		// want is READY, STATUS, RESTARTS.
		want []any
	}{
		{"pending", makePod("p").containers("a").phase(corev1.PodPending).obj(), []any{"0/1", "Pending", "0"}},
		{"container creating", makePod("p").containers("a").phase(corev1.PodPending).status(waiting("a", "ContainerCreating")).obj(), []any{"0/1", "ContainerCreating", "0"}},
		{"running", makePod("p").containers("a", "b").phase(corev1.PodRunning).condition(corev1.PodReady).status(running("a", true), running("b", true)).obj(), []any{"2/2", "Running", "0"}},
		{"one of two ready", makePod("p").containers("a", "b").phase(corev1.PodRunning).status(running("a", true), running("b", false)).obj(), []any{"1/2", "Running", "0"}},
		{"crash loop", makePod("p").containers("a").phase(corev1.PodRunning).status(restarted(waiting("a", "CrashLoopBackOff"), 3, 5*time.Minute)).obj(), []any{"0/1", "CrashLoopBackOff", "3 (5m ago)"}},
		{"restarts without time", makePod("p").containers("a").phase(corev1.PodRunning).status(corev1.ContainerStatus{Name: "a", RestartCount: 2, Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}).obj(), []any{"1/1", "Running", "2"}},
		{"completed", makePod("p").containers("a").phase(corev1.PodSucceeded).status(terminated("a", "Completed", 0)).obj(), []any{"0/1", "Completed", "0"}},
		{"error", makePod("p").containers("a").phase(corev1.PodFailed).status(terminated("a", "Error", 1)).obj(), []any{"0/1", "Error", "0"}},
		{"exit code without reason", makePod("p").containers("a").phase(corev1.PodFailed).status(terminated("a", "", 137)).obj(), []any{"0/1", "ExitCode:137", "0"}},
		{"completed with one running, ready", makePod("p").containers("a", "b").phase(corev1.PodRunning).condition(corev1.PodReady).status(terminated("a", "Completed", 0), running("b", true)).obj(), []any{"1/2", "Running", "0"}},
		{"completed with one running, not ready", makePod("p").containers("a", "b").phase(corev1.PodRunning).status(running("a", true), terminated("b", "Completed", 0)).obj(), []any{"1/2", "NotReady", "0"}},
		{"init waiting", makePod("p").initContainers("i").containers("a").phase(corev1.PodPending).initStatus(waiting("i", "PodInitializing")).status(waiting("a", "PodInitializing")).obj(), []any{"0/1", "Init:0/1", "0"}},
		{"second init running", makePod("p").initContainers("i", "j").containers("a").phase(corev1.PodPending).initStatus(terminated("i", "Completed", 0), running("j", false)).obj(), []any{"0/1", "Init:1/2", "0"}},
		{"init crash loop", makePod("p").initContainers("i").containers("a").phase(corev1.PodPending).initStatus(restarted(waiting("i", "CrashLoopBackOff"), 4, time.Hour)).obj(), []any{"0/1", "Init:CrashLoopBackOff", "4 (60m ago)"}},
		{"init failed", makePod("p").initContainers("i").containers("a").phase(corev1.PodFailed).initStatus(terminated("i", "Error", 1)).obj(), []any{"0/1", "Init:Error", "0"}},
		{"initialized, pod initializing", makePod("p").initContainers("i").containers("a").phase(corev1.PodPending).initStatus(terminated("i", "Completed", 0)).status(waiting("a", "PodInitializing")).obj(), []any{"0/1", "PodInitializing", "0"}},
		{"terminating", makePod("p").containers("a").phase(corev1.PodRunning).status(running("a", true)).deleting("").obj(), []any{"1/1", "Terminating", "0"}},
		{"terminated pod being deleted keeps status", makePod("p").containers("a").phase(corev1.PodSucceeded).status(terminated("a", "Completed", 0)).deleting("").obj(), []any{"0/1", "Completed", "0"}},
		{"node lost", makePod("p").containers("a").phase(corev1.PodRunning).status(running("a", true)).deleting(nodeUnreachableReason).obj(), []any{"1/1", "Unknown", "0"}},
		{"evicted", makePod("p").containers("a").phase(corev1.PodFailed).obj(), []any{"0/1", "Failed", "0"}},
		{"scheduling gated", func() *corev1.Pod {
			p := makePod("p").containers("a").phase(corev1.PodPending).obj()
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonSchedulingGated}}
			return p
		}(), []any{"0/1", "SchedulingGated", "0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := podRow(tt.pod, now)
			if diff := cmp.Diff(tt.want, row[1:4]); diff != "" {
				t.Errorf("READY, STATUS, RESTARTS (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPodSidecarCountsAsContainer(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	started := true
	p := makePod("p").initContainers("sidecar").containers("a").phase(corev1.PodRunning).condition(corev1.PodInitialized).obj()
	p.Spec.InitContainers[0].RestartPolicy = &always
	sidecar := restarted(running("sidecar", true), 1, 2*time.Minute)
	sidecar.Started = &started
	p.Status.InitContainerStatuses = []corev1.ContainerStatus{sidecar}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{running("a", true)}
	if diff := cmp.Diff([]any{"2/2", "Running", "1 (2m ago)"}, podRow(p, now)[1:4]); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestPodWideColumns(t *testing.T) {
	p := makePod("web").containers("a").obj()
	if diff := cmp.Diff([]any{"web", "0/1", "", "0", "10m", "<none>", "<none>", "<none>", "<none>"}, podRow(p, now)); diff != "" {
		t.Errorf("empty pod (-want +got):\n%s", diff)
	}
	p.Spec.NodeName, p.Status.NominatedNodeName = "n1", "n2"
	p.Status.PodIPs = []corev1.PodIP{{IP: "10.42.0.5"}, {IP: "fd00::5"}}
	p.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: "lb/ready"}, {ConditionType: "other"}}
	p.Status.Conditions = []corev1.PodCondition{{Type: "lb/ready", Status: corev1.ConditionTrue}}
	if diff := cmp.Diff([]any{"10.42.0.5", "n1", "n2", "1/2"}, podRow(p, now)[5:]); diff != "" {
		t.Errorf("wide cells (-want +got):\n%s", diff)
	}
	if len(podColumns) != len(podRow(p, now)) {
		t.Errorf("%d columns, %d cells", len(podColumns), len(podRow(p, now)))
	}
}
