package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/skiff-sh/skiff/internal/testcluster"
)

func priorityPod(name, class string, priority *int32) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, GenerateName: "defaulted-"},
		Spec: corev1.PodSpec{PriorityClassName: class, Priority: priority,
			Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
}

func createPriorityPod(ctx context.Context, client kubernetes.Interface, name, class string, priority *int32) (*corev1.Pod, error) {
	return client.CoreV1().Pods("default").Create(ctx, priorityPod(name, class, priority), metav1.CreateOptions{})
}

// podPriority renders what admission resolved: class, priority, policy.
func podPriority(p *corev1.Pod) string {
	prio, policy := "nil", "nil"
	if p.Spec.Priority != nil {
		prio = fmt.Sprint(*p.Spec.Priority)
	}
	if p.Spec.PreemptionPolicy != nil {
		policy = string(*p.Spec.PreemptionPolicy)
	}
	return fmt.Sprintf("%q %s %s", p.Spec.PriorityClassName, prio, policy)
}

// TestPriorityAdmission checks the Priority admission plugin through the
// real API: classes resolve to spec.priority and spec.preemptionPolicy,
// the built-in system classes and the globalDefault apply, and unknown
// classes, contradicting priorities and a second default are forbidden
// with Kubernetes' messages.
func TestPriorityAdmission(t *testing.T) {
	c := testcluster.Start(t)
	ctx := context.Background()
	never := corev1.PreemptNever
	classes := c.Client.SchedulingV1().PriorityClasses()
	// The server creates Kubernetes' two system classes.
	for name, value := range map[string]int32{"system-node-critical": 2000001000, "system-cluster-critical": 2000000000} {
		if pc, err := classes.Get(ctx, name, metav1.GetOptions{}); err != nil || pc.Value != value || pc.Description == "" {
			t.Errorf("system class %s: %v %+v", name, err, pc)
		}
	}
	if _, err := classes.Create(ctx, &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "high"}, Value: 1000, PreemptionPolicy: &never}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct{ name, class, want string }{
		{"no-default", "", `"" 0 PreemptLowerPriority`},
		{"high", "high", `"high" 1000 Never`},
		{"node-critical", "system-node-critical", `"system-node-critical" 2000001000 PreemptLowerPriority`},
		{"cluster-critical", "system-cluster-critical", `"system-cluster-critical" 2000000000 PreemptLowerPriority`},
	} {
		pod, err := createPriorityPod(ctx, c.Client, tc.name, tc.class, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := podPriority(pod); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}

	forbidden := []struct {
		name, class string
		priority    *int32
		want        string
	}{
		{"x", "foo", nil, `pods "x" is forbidden: no PriorityClass with name foo was found`},
		{"y", "high", ptrTo(int32(5)), `pods "y" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name`},
	}
	for _, tc := range forbidden {
		_, err := createPriorityPod(ctx, c.Client, tc.name, tc.class, tc.priority)
		if !apierrors.IsForbidden(err) || err.Error() != tc.want {
			t.Errorf("%s: got %v, want Forbidden %q", tc.name, err, tc.want)
		}
	}
	if pod, err := createPriorityPod(ctx, c.Client, "same", "high", ptrTo(int32(1000))); err != nil || *pod.Spec.Priority != 1000 {
		t.Errorf("the class's own priority: %v", err)
	}

	if _, err := classes.Create(ctx, &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "low"}, Value: -5, GlobalDefault: true}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The plugin reads the class list from the watch cache, which may lag
	// the create by a moment.
	var pod *corev1.Pod
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		p, err := createPriorityPod(ctx, c.Client, "", "", nil)
		pod = p
		return err == nil && p.Spec.PriorityClassName == "low", err
	})
	if err != nil {
		t.Fatalf("pod never got the default class: %v (last %s)", err, podPriority(pod))
	}
	if got := podPriority(pod); got != `"low" -5 PreemptLowerPriority` {
		t.Errorf("default class: got %s", got)
	}
	_, err = classes.Create(ctx, &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "other"}, Value: 1, GlobalDefault: true}, metav1.CreateOptions{})
	if want := `priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass low is already marked as default. Only one default can exist`; err == nil || err.Error() != want {
		t.Errorf("second default: got %v, want %q", err, want)
	}
}

func ptrTo[T any](v T) *T { return &v }
