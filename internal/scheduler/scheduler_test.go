package scheduler

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

func TestNumFeasibleNodesToFind(t *testing.T) {
	tests := []struct {
		percentage int32
		nodes      int
		want       int
	}{
		{0, 10, 10},
		{0, 99, 99},
		{0, 1000, 420}, // 50 - 8 = 42%
		{0, 5000, 500}, // 50 - 40 = 10%
		{0, 6000, 300}, // 50 - 48 = 2% → 5%
		{0, 150, 100},  // 49% of 150 = 73 → at least 100
		{30, 1000, 300},
		{100, 5000, 5000},
	}
	for _, tc := range tests {
		if got := numFeasibleNodesToFind(tc.percentage, tc.nodes); got != tc.want {
			t.Errorf("numFeasibleNodesToFind(%d, %d) = %d, want %d", tc.percentage, tc.nodes, got, tc.want)
		}
	}
}

func TestFitErrorMessage(t *testing.T) {
	cpu := framework.NewStatus(framework.Unschedulable, "Insufficient cpu")
	taint := framework.NewStatus(framework.UnschedulableAndUnresolvable, "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }")
	tests := []struct {
		name string
		diag Diagnosis
		want string
	}{
		{"filters", Diagnosis{NodeToStatus: framework.NodeToStatus{"a": cpu, "b": cpu, "c": cpu, "d": taint, "e": taint},
			PostFilterMsg: "preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling"},
			"0/5 nodes are available: 2 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 Insufficient cpu. preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling."},
		{"several reasons from one node", Diagnosis{NodeToStatus: framework.NodeToStatus{"a": framework.NewStatus(framework.Unschedulable, "Insufficient cpu", "Insufficient memory")}},
			"0/5 nodes are available: 1 Insufficient cpu, 1 Insufficient memory."},
		{"prefilter", Diagnosis{NodeToStatus: framework.NodeToStatus{"a": cpu}, PreFilterMsg: "pod has unbound immediate PersistentVolumeClaims"},
			"0/5 nodes are available: pod has unbound immediate PersistentVolumeClaims."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := &FitError{NumAllNodes: 5, Diagnosis: tc.diag}
			if d := cmp.Diff(tc.want, err.Error()); d != "" {
				t.Fatalf("(-want +got)\n%s", d)
			}
		})
	}
}

func TestSelectHost(t *testing.T) {
	scores := []framework.NodeScore{{Name: "a", Score: 10}, {Name: "b", Score: 30}, {Name: "c", Score: 30}, {Name: "d", Score: 5}}
	seen := map[string]int{}
	for range 200 {
		seen[selectHost(scores)]++
	}
	if seen["a"]+seen["d"] > 0 || seen["b"] == 0 || seen["c"] == 0 {
		t.Fatalf("hosts chosen %v: want only b and c, both", seen)
	}
}
