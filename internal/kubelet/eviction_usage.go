package kubelet

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// candidates are the evictable pods with their usage of res: memory
// working set, or for ephemeral-storage the containers' writable layers,
// from CRI container stats.
func (k *Kubelet) candidates(ctx context.Context, pods []*corev1.Pod, res corev1.ResourceName) []candidate {
	usage := map[types.UID]podUsage{}
	resp, err := k.cfg.Runtime.ListContainerStats(ctx, &runtimeapi.ListContainerStatsRequest{})
	if err != nil {
		k.log.Warn("container stats", "err", err)
	}
	for _, st := range resp.GetStats() {
		attr := st.GetAttributes()
		uid := types.UID(attr.GetLabels()[labelPodUID])
		if usage[uid] == nil {
			usage[uid] = podUsage{}
		}
		v := st.GetMemory().GetWorkingSetBytes().GetValue()
		if res == corev1.ResourceEphemeralStorage {
			v = st.GetWritableLayer().GetUsedBytes().GetValue()
		}
		usage[uid][attr.GetMetadata().GetName()] += int64(v)
	}
	var out []candidate
	for _, p := range pods {
		if evictable(p) {
			out = append(out, candidate{pod: p, usage: usage[p.UID]})
		}
	}
	return out
}
