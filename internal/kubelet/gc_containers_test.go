package kubelet

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func ctr(id, uid, name, sandbox string, state runtimeapi.ContainerState, created int64) *runtimeapi.Container {
	return &runtimeapi.Container{Id: id, PodSandboxId: sandbox, State: state, CreatedAt: created,
		Metadata: &runtimeapi.ContainerMetadata{Name: name}, Labels: map[string]string{labelPodUID: uid}}
}

func sandbox(id, uid string, ready bool, created int64) *runtimeapi.PodSandbox {
	st := runtimeapi.PodSandboxState_SANDBOX_NOTREADY
	if ready {
		st = runtimeapi.PodSandboxState_SANDBOX_READY
	}
	return &runtimeapi.PodSandbox{Id: id, State: st, CreatedAt: created, Labels: map[string]string{labelPodUID: uid}}
}

func TestPlanContainerGC(t *testing.T) {
	gone := func(uid types.UID) bool { return uid == "gone" }
	for _, tc := range []struct {
		name string
		cs   []*runtimeapi.Container
		sbs  []*runtimeapi.PodSandbox
		want gcPlan
	}{{
		name: "keeps the newest dead instance of each container and the running one",
		cs: []*runtimeapi.Container{
			ctr("a1", "live", "a", "s1", exited, 1), ctr("a2", "live", "a", "s1", exited, 2),
			ctr("a3", "live", "a", "s1", exited, 3), ctr("a4", "live", "a", "s1", running, 4),
			ctr("b1", "live", "b", "s1", exited, 1),
		},
		sbs:  []*runtimeapi.PodSandbox{sandbox("s1", "live", true, 1)},
		want: gcPlan{containers: []string{"a1", "a2"}},
	}, {
		name: "removes everything dead of a gone pod",
		cs:   []*runtimeapi.Container{ctr("g1", "gone", "a", "gs2", exited, 1), ctr("g2", "gone", "a", "gs2", exited, 2)},
		sbs:  []*runtimeapi.PodSandbox{sandbox("gs1", "gone", false, 1), sandbox("gs2", "gone", false, 2)},
		want: gcPlan{containers: []string{"g1", "g2"}, sandboxes: []string{"gs1", "gs2"}},
	}, {
		name: "keeps the newest dead sandbox of a live pod and those with containers",
		cs:   []*runtimeapi.Container{ctr("c1", "live", "a", "s2", exited, 5)},
		sbs: []*runtimeapi.PodSandbox{
			sandbox("s1", "live", false, 1), sandbox("s2", "live", false, 2), sandbox("s3", "live", false, 3),
		},
		want: gcPlan{sandboxes: []string{"s1"}},
	}, {
		name: "never touches ready sandboxes or containers that are not the kubelet's",
		cs:   []*runtimeapi.Container{{Id: "foreign", State: exited}},
		sbs:  []*runtimeapi.PodSandbox{sandbox("r1", "gone", true, 1)},
		want: gcPlan{},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := planContainerGC(tc.cs, tc.sbs, gone)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(gcPlan{})); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}
