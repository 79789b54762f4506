package kubelet

import (
	"context"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// relistLoop lists every sandbox and container every RelistPeriod and
// wakes the worker of each pod whose runtime objects changed state, so a
// container that dies is noticed within a period. Pods the API no
// longer has get a worker too, which removes them.
func (k *Kubelet) relistLoop(ctx context.Context) {
	var last map[types.UID]string
	t := time.NewTicker(k.cfg.RelistPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now, refs, err := k.relist(ctx)
		if err != nil {
			if ctx.Err() == nil {
				k.log.Warn("relist", "err", err)
			}
			continue
		}
		for uid, fp := range now {
			if last == nil || last[uid] != fp {
				k.enqueue(ctx, refs[uid])
			}
		}
		last = now
	}
}

// relist returns a fingerprint (ids and states) of each pod's runtime
// objects, and the pods' names from the runtime's labels.
func (k *Kubelet) relist(ctx context.Context) (map[types.UID]string, map[types.UID]podRef, error) {
	sbs, err := k.cfg.Runtime.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return nil, nil, err
	}
	cs, err := k.cfg.Runtime.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
	if err != nil {
		return nil, nil, err
	}
	parts := map[types.UID][]string{}
	refs := map[types.UID]podRef{}
	for _, sb := range sbs.Items {
		uid := types.UID(sb.Labels[labelPodUID])
		if uid == "" {
			continue
		}
		refs[uid] = podRef{uid: uid, namespace: sb.Labels[labelPodNamespace], name: sb.Labels[labelPodName]}
		parts[uid] = append(parts[uid], sb.Id+"="+sb.State.String())
	}
	for _, c := range cs.Containers {
		uid := types.UID(c.Labels[labelPodUID])
		if _, ok := refs[uid]; ok {
			parts[uid] = append(parts[uid], c.Id+"="+c.State.String())
		}
	}
	out := make(map[types.UID]string, len(parts))
	for uid, p := range parts {
		sort.Strings(p)
		out[uid] = strings.Join(p, ",")
	}
	return out, refs, nil
}
