package kubelet

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// victim is a test candidate: one container "c" requesting req bytes of
// memory and using used, at priority prio.
func victim(name string, prio int32, req, used int64) candidate {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID(name)}, Spec: corev1.PodSpec{Priority: &prio,
		Containers: []corev1.Container{{Name: "c"}}}}
	if req > 0 {
		pod.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceMemory: *resource.NewQuantity(req, resource.BinarySI)}
	}
	return candidate{pod: pod, usage: podUsage{"c": used}}
}

func TestRankForEviction(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []candidate
		want []string
	}{{
		name: "pods above their requests go first, whatever their priority",
		in:   []candidate{victim("within-low", 0, 100, 50), victim("above-high", 1000, 10, 20)},
		want: []string{"above-high", "within-low"},
	}, {
		name: "then lower priority first",
		in:   []candidate{victim("high", 1000, 0, 10), victim("low", -5, 0, 1), victim("mid", 0, 0, 100)},
		want: []string{"low", "mid", "high"},
	}, {
		name: "then larger usage above the request first",
		in:   []candidate{victim("small", 0, 0, 10), victim("big", 0, 50, 200), victim("medium", 0, 0, 100)},
		want: []string{"big", "medium", "small"},
	}, {
		name: "a pod without a priority is priority 0",
		in:   []candidate{{pod: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "none"}}, usage: podUsage{"c": 1}}, victim("neg", -1, 0, 1)},
		want: []string{"neg", "none"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			rankForEviction(tc.in, corev1.ResourceMemory)
			var got []string
			for _, c := range tc.in {
				got = append(got, c.pod.Name)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvictable(t *testing.T) {
	critical := int32(systemCriticalPriority)
	now := metav1.Now()
	for _, tc := range []struct {
		name string
		edit func(*corev1.Pod)
		want bool
	}{
		{"ordinary", func(*corev1.Pod) {}, true},
		{"API source annotation", func(p *corev1.Pod) { p.Annotations = map[string]string{"kubernetes.io/config.source": "api"} }, true},
		{"static", func(p *corev1.Pod) { p.Annotations = map[string]string{"kubernetes.io/config.source": "file"} }, false},
		{"mirror", func(p *corev1.Pod) { p.Annotations = map[string]string{"kubernetes.io/config.mirror": "x"} }, false},
		{"system-critical priority", func(p *corev1.Pod) { p.Spec.Priority = &critical }, false},
		{"finished", func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }, false},
		{"being deleted", func(p *corev1.Pod) { p.DeletionTimestamp = &now }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := victim("p", 0, 0, 0).pod
			tc.edit(pod)
			if got := evictable(pod); got != tc.want {
				t.Errorf("evictable = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestEvictionMessage(t *testing.T) {
	ths, _ := ParseThresholds("memory.available<100Mi")
	c := victim("p", 0, 0, 5<<20)
	c.pod.Spec.Containers = append(c.pod.Spec.Containers, corev1.Container{Name: "idle"})
	c.usage["idle"] = 0
	got := evictionMessage(corev1.ResourceMemory, c, thresholdMet{ths[0], observation{available: 50 << 20, capacity: 1 << 30}})
	want := "The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. Container c was using 5Mi, request is 0, has larger consumption of memory. "
	if got != want {
		t.Errorf("message\n got %q\nwant %q", got, want)
	}
}

func TestEvictedStatus(t *testing.T) {
	prev := corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}
	st := evictedStatus(prev, "low", t0)
	if st.Phase != corev1.PodFailed || st.Reason != "Evicted" || st.Message != "low" {
		t.Errorf("status %s/%s/%q, want Failed/Evicted/low", st.Phase, st.Reason, st.Message)
	}
	dt := findCondition(st.Conditions, corev1.DisruptionTarget)
	if dt == nil || dt.Status != corev1.ConditionTrue || dt.Reason != corev1.PodReasonTerminationByKubelet {
		t.Errorf("DisruptionTarget condition = %+v", dt)
	}
	if prev.Phase != corev1.PodRunning || len(prev.Conditions) != 1 {
		t.Error("evictedStatus changed its input")
	}
}

func TestPressureTransition(t *testing.T) {
	var s evictionState
	ths, _ := ParseThresholds("memory.available<1Gi,nodefs.available<1Gi")
	if mem, disk := s.pressure(t0, time.Minute); mem || disk {
		t.Fatal("pressure before any threshold was met")
	}
	s.record([]thresholdMet{{Threshold: ths[0]}}, t0)
	if mem, disk := s.pressure(t0.Add(59*time.Second), time.Minute); !mem || disk {
		t.Errorf("within the transition period: memory %v disk %v, want true false", mem, disk)
	}
	if mem, _ := s.pressure(t0.Add(time.Minute), time.Minute); mem {
		t.Error("memory pressure outlived its transition period")
	}
	s.record([]thresholdMet{{Threshold: ths[1]}}, t0)
	if _, disk := s.pressure(t0, time.Minute); !disk {
		t.Error("nodefs threshold met but no disk pressure")
	}
}
