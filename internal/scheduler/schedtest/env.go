package schedtest

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"

	"github.com/skiff-sh/skiff/internal/scheduler/cache"
	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

// Env is a framework over a fixed cluster: nodes, the pods bound to them
// and API objects (claims, volumes, services...) served by informers of
// a fake clientset.
type Env struct {
	Fwk      *framework.Framework
	Snapshot *cache.Snapshot
	Client   *fake.Clientset
	Recorder *record.FakeRecorder
}

// NewEnv builds the plugins of registry named in plugins.
func NewEnv(t *testing.T, registry framework.Registry, plugins []framework.PluginConfig, args framework.Args, nodes []*corev1.Node, pods []*corev1.Pod, objs ...runtime.Object) *Env {
	t.Helper()
	c := cache.New()
	for _, n := range nodes {
		c.AddNode(n)
	}
	all := append([]runtime.Object(nil), objs...)
	for _, p := range pods {
		c.AddPod(p)
		all = append(all, p)
	}
	snap := cache.NewSnapshot()
	c.UpdateSnapshot(snap)
	client := fake.NewClientset(all...)
	f := informers.NewSharedInformerFactory(client, 0)
	rec := record.NewFakeRecorder(100)
	fwk, err := framework.New(framework.Options{
		Registry: registry, Plugins: plugins, Args: args,
		Client: client, Informers: f, Recorder: rec, Snapshot: snap, Parallelism: 4,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); f.Shutdown() })
	f.Start(ctx.Done())
	f.WaitForCacheSync(ctx.Done())
	return &Env{Fwk: fwk, Snapshot: snap, Client: client, Recorder: rec}
}

// StatusString renders a status as "Code: reason, reason", "" for success.
func StatusString(s *framework.Status) string {
	if s.IsSuccess() {
		return ""
	}
	names := map[framework.Code]string{framework.Error: "Error", framework.Unschedulable: "Unschedulable",
		framework.UnschedulableAndUnresolvable: "UnschedulableAndUnresolvable", framework.Skip: "Skip"}
	return fmt.Sprintf("%s: %s", names[s.Code()], s.Message())
}

// Filter runs PreFilter, then the filters on every node; it returns each
// node's StatusString, or the PreFilter's under the key "PreFilter".
func (e *Env) Filter(t *testing.T, pod *corev1.Pod) map[string]string {
	t.Helper()
	ctx := context.Background()
	state := framework.NewCycleState()
	if s := e.Fwk.RunPreFilterPlugins(ctx, state, pod); !s.IsSuccess() {
		return map[string]string{"PreFilter": StatusString(s)}
	}
	out := map[string]string{}
	for _, ni := range e.Snapshot.List() {
		out[ni.NodeName()] = StatusString(e.Fwk.RunFilterPlugins(ctx, state, pod, ni))
	}
	return out
}

// Score runs PreFilter, PreScore and Score over all nodes and returns the
// weighted, normalized totals.
func (e *Env) Score(t *testing.T, pod *corev1.Pod) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	state := framework.NewCycleState()
	if s := e.Fwk.RunPreFilterPlugins(ctx, state, pod); !s.IsSuccess() {
		t.Fatalf("PreFilter: %v", StatusString(s))
	}
	nodes := e.Snapshot.List()
	if s := e.Fwk.RunPreScorePlugins(ctx, state, pod, nodes); !s.IsSuccess() {
		t.Fatalf("PreScore: %v", StatusString(s))
	}
	scores, s := e.Fwk.RunScorePlugins(ctx, state, pod, nodes)
	if !s.IsSuccess() {
		t.Fatalf("Score: %v", StatusString(s))
	}
	out := map[string]int64{}
	for _, sc := range scores {
		out[sc.Name] = sc.Score
	}
	return out
}
