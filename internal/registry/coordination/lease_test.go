package coordination

import (
	"slices"
	"testing"

	"github.com/skiff-sh/skiff/internal/registry/resttest"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func lease(mut func(*coordinationv1.Lease)) *coordinationv1.Lease {
	l := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: "l", Namespace: "ns", ResourceVersion: "1"},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: new("any thing"), LeaseDurationSeconds: new(int32(15))},
	}
	if mut != nil {
		mut(l)
	}
	return l
}

func TestLease(t *testing.T) {
	s := Strategies()["leases"]
	custom := coordinationv1.CoordinatedLeaseStrategy("example.com/mine")
	bad := coordinationv1.CoordinatedLeaseStrategy("Youngest")
	cases := []struct {
		name string
		mut  func(*coordinationv1.Lease)
		want []string
	}{
		{"valid", nil, nil},
		{"custom strategy", func(l *coordinationv1.Lease) { l.Spec.Strategy = &custom; l.Spec.PreferredHolder = new("x") }, nil},
		{"zero duration", func(l *coordinationv1.Lease) { l.Spec.LeaseDurationSeconds = new(int32(0)) }, []string{"spec.leaseDurationSeconds"}},
		{"negative transitions", func(l *coordinationv1.Lease) { l.Spec.LeaseTransitions = new(int32(-1)) }, []string{"spec.leaseTransitions"}},
		{"unknown strategy", func(l *coordinationv1.Lease) { l.Spec.Strategy = &bad }, []string{"spec.strategy"}},
		{"holder without strategy", func(l *coordinationv1.Lease) { l.Spec.PreferredHolder = new("x") }, []string{"spec.preferredHolder"}},
		{"no namespace", func(l *coordinationv1.Lease) { l.Namespace = "" }, []string{"metadata.namespace"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := resttest.Paths(s.Validate(lease(c.mut))); !slices.Equal(got, c.want) {
				t.Errorf("Validate: got %v, want %v", got, c.want)
			}
		})
	}
}

// TestLeaseUpdate checks that an update is validated too: leases are
// renewed by PUT.
func TestLeaseUpdate(t *testing.T) {
	s := Strategies()["leases"]
	next := lease(func(l *coordinationv1.Lease) { l.Spec.LeaseTransitions = new(int32(-1)) })
	if got := resttest.Paths(s.ValidateUpdate(next, lease(nil))); !slices.Equal(got, []string{"spec.leaseTransitions"}) {
		t.Errorf("got %v", got)
	}
}
