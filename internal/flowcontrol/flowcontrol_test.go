package flowcontrol

import (
	"context"
	"slices"
	"testing"
	"time"

	fc "k8s.io/api/flowcontrol/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/skiff-sh/skiff/internal/flowcontrol/bootstrap"
)

// bootstrapSnapshot builds the snapshot of Kubernetes' configuration plus
// extra objects, with seats shared out of serverSeats.
func bootstrapSnapshot(t testing.TB, serverSeats int, extraLevels []*fc.PriorityLevelConfiguration, extraSchemas ...*fc.FlowSchema) (*snapshot, levelSet) {
	t.Helper()
	plcs := append(append(bootstrap.MandatoryPriorityLevels(), bootstrap.SuggestedPriorityLevels()...), extraLevels...)
	schemas := append(append(bootstrap.MandatoryFlowSchemas(), bootstrap.SuggestedFlowSchemas()...), extraSchemas...)
	for _, pl := range plcs {
		pl.UID = types.UID("pl-" + pl.Name)
	}
	for _, fs := range schemas {
		fs.UID = types.UID("fs-" + fs.Name)
	}
	levels := levelSet{}
	return build(schemas, plcs, serverSeats, levels, newMetrics(nil), time.Hour), levels
}

func TestClassify(t *testing.T) {
	snap, _ := bootstrapSnapshot(t, 600, nil)
	cases := []struct {
		name string
		d    Digest
		want string
	}{
		{"admin", Digest{User: "admin", Groups: []string{"system:masters", "system:authenticated"}, IsResource: true, Verb: "list", Resource: "pods"}, "exempt"},
		{"probe", Digest{User: "system:anonymous", Groups: []string{"system:unauthenticated"}, Verb: "get", Path: "/readyz"}, "probes"},
		{"node lease", Digest{User: "system:node:n1", Groups: []string{"system:nodes", "system:authenticated"}, IsResource: true, Verb: "update", APIGroup: "coordination.k8s.io", Resource: "leases", Namespace: "kube-node-lease"}, "system-node-high"},
		{"node status", Digest{User: "system:node:n1", Groups: []string{"system:nodes"}, IsResource: true, Verb: "patch", Resource: "nodes/status"}, "system-node-high"},
		{"node pods", Digest{User: "system:node:n1", Groups: []string{"system:nodes"}, IsResource: true, Verb: "list", Resource: "pods"}, "system-nodes"},
		{"scheduler lease", Digest{User: "system:kube-scheduler", Groups: []string{"system:authenticated"}, IsResource: true, Verb: "update", APIGroup: "coordination.k8s.io", Resource: "leases", Namespace: "kube-system"}, "system-leader-election"},
		{"scheduler binding", Digest{User: "system:kube-scheduler", Groups: []string{"system:authenticated"}, IsResource: true, Verb: "create", Resource: "pods/binding", Namespace: "default"}, "kube-scheduler"},
		{"kube-system sa", Digest{User: "system:serviceaccount:kube-system:coredns", Groups: []string{"system:serviceaccounts"}, IsResource: true, Verb: "list", Resource: "endpoints"}, "kube-system-service-accounts"},
		{"other sa", Digest{User: "system:serviceaccount:default:app", Groups: []string{"system:serviceaccounts"}, IsResource: true, Verb: "get", Resource: "configmaps", Namespace: "default"}, "service-accounts"},
		{"user", Digest{User: "alice", Groups: []string{"system:authenticated"}, IsResource: true, Verb: "get", Resource: "pods", Namespace: "default"}, "global-default"},
		{"nothing else", Digest{User: "bob", Verb: "get", Path: "/version"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ""
			if sc := snap.classify(&c.d); sc != nil {
				got = sc.fs.Name
			}
			if got != c.want {
				t.Errorf("classified as %q, want %q", got, c.want)
			}
		})
	}
}

func TestDanglingSchemaSkipped(t *testing.T) {
	mine := schemaFor("mine", "missing", 50, "carol")
	snap, _ := bootstrapSnapshot(t, 600, nil, mine)
	d := Digest{User: "carol", Groups: []string{"system:authenticated"}, Verb: "get", Path: "/version"}
	if got := snap.classify(&d).fs.Name; got != "global-default" {
		t.Errorf("classified as %q, want global-default past the dangling schema", got)
	}
}

func TestNominalSeats(t *testing.T) {
	_, levels := bootstrapSnapshot(t, 600, nil)
	// Shares: catch-all 5, system 30, node-high 40, leader-election 10,
	// workload-high 40, workload-low 100, global-default 20: 245.
	want := map[string]int{"catch-all": 13, "system": 74, "node-high": 98, "leader-election": 25, "workload-high": 98, "workload-low": 245, "global-default": 49}
	for name, seats := range want {
		if got := levels[name].lim.seats; got != seats {
			t.Errorf("%s: %d seats, want %d", name, got, seats)
		}
	}
	if _, ok := levels["exempt"]; ok {
		t.Error("exempt level has seats")
	}
}

func schemaFor(name, level string, precedence int32, user string) *fc.FlowSchema {
	return &fc.FlowSchema{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: fc.FlowSchemaSpec{
		PriorityLevelConfiguration: fc.PriorityLevelConfigurationReference{Name: level},
		MatchingPrecedence:         precedence,
		DistinguisherMethod:        &fc.FlowDistinguisherMethod{Type: fc.FlowDistinguisherMethodByUserType},
		Rules: []fc.PolicyRulesWithSubjects{{
			Subjects:         []fc.Subject{{Kind: fc.SubjectKindUser, User: &fc.UserSubject{Name: user}}},
			NonResourceRules: []fc.NonResourcePolicyRule{{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}}},
			ResourceRules:    []fc.ResourcePolicyRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}, Namespaces: []string{"*"}, ClusterScope: true}},
		}},
	}}
}

func TestDeal(t *testing.T) {
	for hash := uint64(0); hash < 2000; hash += 37 {
		hand := deal(hash*0x9e3779b97f4a7c15, 64, 8)
		if len(slices.Compact(slices.Clone(hand))) != 8 {
			t.Fatalf("hand %v: want 8 distinct queues", hand)
		}
		if hand[0] < 0 || hand[7] >= 64 {
			t.Fatalf("hand %v outside the deck", hand)
		}
	}
	if a, b := deal(12345, 64, 8), deal(12345, 64, 8); !slices.Equal(a, b) {
		t.Errorf("same flow dealt %v and %v", a, b)
	}
}

// acquireAsync starts acquire and returns its result channel.
func acquireAsync(ctx context.Context, lv *level, flow uint64) <-chan string {
	out := make(chan string, 1)
	go func() { out <- lv.acquire(ctx, func() uint64 { return flow }, func(float64) {}) }()
	return out
}

// waitQueued blocks until n requests wait in lv.
func waitQueued(t *testing.T, lv *level, n int) {
	t.Helper()
	for {
		lv.mu.Lock()
		got := 0
		for _, q := range lv.queues {
			got += len(q)
		}
		lv.mu.Unlock()
		if got == n {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSeatsAndQueue(t *testing.T) {
	lv := newLevel(limits{seats: 1, queues: 1, handSize: 1, queueLength: 1}, time.Hour)
	ctx := context.Background()
	if r := lv.acquire(ctx, nil, nil); r != "" {
		t.Fatalf("first request rejected: %s", r)
	}
	queued := acquireAsync(ctx, lv, 1)
	waitQueued(t, lv, 1)
	if r := lv.acquire(ctx, func() uint64 { return 2 }, func(float64) {}); r != reasonQueueFull {
		t.Fatalf("third request: %q, want %q", r, reasonQueueFull)
	}
	select {
	case r := <-queued:
		t.Fatalf("queued request finished (%q) while the seat was taken", r)
	default:
	}
	lv.release()
	if r := <-queued; r != "" {
		t.Fatalf("queued request rejected after a release: %s", r)
	}
	if lv.executing != 1 {
		t.Errorf("executing %d, want 1", lv.executing)
	}
	lv.release()
	if lv.executing != 0 {
		t.Errorf("executing %d after both ended, want 0", lv.executing)
	}
}

func TestRejectWithoutQueues(t *testing.T) {
	lv := newLevel(limits{seats: 1}, time.Hour)
	if r := lv.acquire(context.Background(), nil, nil); r != "" {
		t.Fatalf("first request rejected: %s", r)
	}
	if r := lv.acquire(context.Background(), nil, nil); r != reasonConcurrencyLimit {
		t.Fatalf("second request: %q, want %q", r, reasonConcurrencyLimit)
	}
}

func TestCancelledWhileQueued(t *testing.T) {
	lv := newLevel(limits{seats: 1, queues: 4, handSize: 2, queueLength: 5}, time.Hour)
	lv.acquire(context.Background(), nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	queued := acquireAsync(ctx, lv, 7)
	waitQueued(t, lv, 1)
	cancel()
	if r := <-queued; r != reasonCancelled {
		t.Fatalf("cancelled request: %q, want %q", r, reasonCancelled)
	}
	waitQueued(t, lv, 0)
	lv.release()
	if lv.executing != 0 {
		t.Errorf("executing %d, want 0: the cancelled request must not take the seat", lv.executing)
	}
}

func TestFairDispatch(t *testing.T) {
	lv := newLevel(limits{seats: 1, queues: 2, handSize: 1, queueLength: 10}, time.Hour)
	lv.acquire(context.Background(), nil, nil)
	// Find two flows dealt different queues.
	a, b := uint64(0), uint64(1)
	for deal(a, 2, 1)[0] == deal(b, 2, 1)[0] {
		b++
	}
	for i := range 3 {
		acquireAsync(context.Background(), lv, a)
		waitQueued(t, lv, i+1)
	}
	light := acquireAsync(context.Background(), lv, b)
	waitQueued(t, lv, 4)
	lv.release()
	lv.release()
	// Two seats went by: one to each flow, though the heavy one came first.
	lv.mu.Lock()
	heavyLeft, lightLeft := len(lv.queues[deal(a, 2, 1)[0]]), len(lv.queues[deal(b, 2, 1)[0]])
	lv.mu.Unlock()
	if heavyLeft != 2 || lightLeft != 0 {
		t.Fatalf("left waiting: heavy %d, light %d; want 2 and 0", heavyLeft, lightLeft)
	}
	if r := <-light; r != "" {
		t.Errorf("light flow rejected: %s", r)
	}
}

func TestBeginExemptAndRejected(t *testing.T) {
	one := int32(1)
	pl := &fc.PriorityLevelConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "tiny"}, Spec: fc.PriorityLevelConfigurationSpec{
		Type:    fc.PriorityLevelEnablementLimited,
		Limited: &fc.LimitedPriorityLevelConfiguration{NominalConcurrencyShares: &one, LimitResponse: fc.LimitResponse{Type: fc.LimitResponseTypeReject}},
	}}
	snap, _ := bootstrapSnapshot(t, 10, []*fc.PriorityLevelConfiguration{pl}, schemaFor("tiny", "tiny", 50, "dave"))
	c := New(Config{})
	c.snap.Store(snap)
	dave := Digest{User: "dave", Groups: []string{"system:authenticated"}, Verb: "get", Path: "/version"}
	first, rejected := c.Begin(context.Background(), &dave)
	if rejected || first.FlowSchemaUID != "fs-tiny" || first.PriorityLevelUID != "pl-tiny" {
		t.Fatalf("first: %+v rejected=%v", first, rejected)
	}
	second, rejected := c.Begin(context.Background(), &dave)
	if !rejected || second.FlowSchemaUID != "fs-tiny" {
		t.Fatalf("second: %+v rejected=%v, want rejected by tiny", second, rejected)
	}
	watch := dave
	watch.LongRunning = true
	if _, rejected := c.Begin(context.Background(), &watch); rejected {
		t.Error("long-running request rejected: it holds no seat")
	}
	admin := Digest{User: "admin", Groups: []string{"system:masters"}, Verb: "get", Path: "/version"}
	if o, rejected := c.Begin(context.Background(), &admin); rejected || o.PriorityLevelUID != "pl-exempt" {
		t.Errorf("admin: %+v rejected=%v, want exempt", o, rejected)
	}
	first.Done()
	if _, rejected := c.Begin(context.Background(), &dave); rejected {
		t.Error("rejected after the seat was given back")
	}
}

func TestReconfigureKeepsWaiters(t *testing.T) {
	lv := newLevel(limits{seats: 1, queues: 8, handSize: 2, queueLength: 5}, time.Hour)
	lv.acquire(context.Background(), nil, nil)
	queued := acquireAsync(context.Background(), lv, 99)
	waitQueued(t, lv, 1)
	lv.configure(limits{seats: 2, queues: 2, handSize: 1, queueLength: 5})
	if r := <-queued; r != "" {
		t.Fatalf("waiting request rejected on reconfiguration: %s", r)
	}
	if lv.executing != 2 {
		t.Errorf("executing %d, want 2 after the limit grew", lv.executing)
	}
}
