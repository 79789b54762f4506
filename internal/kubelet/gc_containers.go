package kubelet

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// maxPerPodContainer is how many dead instances of each container
// container GC keeps (Kubernetes' default, so `kubectl logs -p` works);
// there is no node-wide limit and no minimum age, as in Kubernetes.
const maxPerPodContainer = 1

// gcPlan is what one container GC pass removes, by ID.
type gcPlan struct{ containers, sandboxes []string }

// planContainerGC picks, from the runtime's lists, the dead containers
// and sandboxes to remove: everything dead of pods whose content may go
// (removable), and otherwise all but the newest maxPerPodContainer dead
// instances of each container and all but the newest sandbox. Running
// containers, ready sandboxes and sandboxes that keep containers stay.
func planContainerGC(cs []*runtimeapi.Container, sbs []*runtimeapi.PodSandbox, removable func(types.UID) bool) gcPlan {
	var plan gcPlan
	type key struct {
		uid  types.UID
		name string
	}
	dead := map[key][]*runtimeapi.Container{}
	kept := map[string]bool{} // sandboxes that keep a container
	for _, c := range cs {
		uid := types.UID(c.Labels[labelPodUID])
		if uid == "" || (c.State != runtimeapi.ContainerState_CONTAINER_EXITED && c.State != runtimeapi.ContainerState_CONTAINER_UNKNOWN) {
			kept[c.PodSandboxId] = true
			continue
		}
		k := key{uid, c.GetMetadata().GetName()}
		dead[k] = append(dead[k], c)
	}
	for k, l := range dead {
		slices.SortFunc(l, func(a, b *runtimeapi.Container) int { return cmp.Compare(b.CreatedAt, a.CreatedAt) })
		keep := maxPerPodContainer
		if removable(k.uid) {
			keep = 0
		}
		for i, c := range l {
			if i < keep {
				kept[c.PodSandboxId] = true
			} else {
				plan.containers = append(plan.containers, c.Id)
			}
		}
	}
	byPod := map[types.UID][]*runtimeapi.PodSandbox{}
	for _, sb := range sbs {
		if uid := types.UID(sb.Labels[labelPodUID]); uid != "" {
			byPod[uid] = append(byPod[uid], sb)
		}
	}
	for uid, l := range byPod {
		slices.SortFunc(l, func(a, b *runtimeapi.PodSandbox) int { return cmp.Compare(b.CreatedAt, a.CreatedAt) })
		for i, sb := range l {
			if sb.State == runtimeapi.PodSandboxState_SANDBOX_READY || kept[sb.Id] || (i == 0 && !removable(uid)) {
				continue
			}
			plan.sandboxes = append(plan.sandboxes, sb.Id)
		}
	}
	slices.Sort(plan.containers)
	slices.Sort(plan.sandboxes)
	return plan
}

// podContentRemovable reports whether a pod's dead containers, sandboxes
// and logs may all go, as Kubernetes' ShouldPodContentBeRemoved: the pod
// is gone from the API, evicted, or deleted and finished. Under disk
// pressure (all) any finished pod's may go too.
func (k *Kubelet) podContentRemovable(all bool) func(types.UID) bool {
	byUID := map[types.UID]*corev1.Pod{}
	for _, p := range k.nodePods() {
		byUID[p.UID] = p
	}
	return func(uid types.UID) bool {
		p, ok := byUID[uid]
		switch {
		case !ok:
			return true
		case p.Status.Reason == evictedReason && isTerminal(p.Status.Phase):
			return true
		}
		return isTerminal(p.Status.Phase) && (all || p.DeletionTimestamp != nil)
	}
}

// garbageCollectContainers removes dead containers (and their log
// files), dead sandboxes and the log directories of gone pods; with all
// (disk pressure) finished pods' too.
func (k *Kubelet) garbageCollectContainers(ctx context.Context, all bool) error {
	cs, err := k.cfg.Runtime.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
	if err != nil {
		return fmt.Errorf("list containers: %w", err)
	}
	sbs, err := k.cfg.Runtime.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return fmt.Errorf("list sandboxes: %w", err)
	}
	removable := k.podContentRemovable(all)
	plan := planContainerGC(cs.Containers, sbs.Items, removable)
	var errs []error
	for _, id := range plan.containers {
		errs = append(errs, k.removeDeadContainer(ctx, id))
	}
	for _, id := range plan.sandboxes {
		errs = append(errs, k.removeSandbox(ctx, id))
	}
	if n := len(plan.containers) + len(plan.sandboxes); n > 0 {
		k.log.Info("container gc", "containers", len(plan.containers), "sandboxes", len(plan.sandboxes))
	}
	left := slices.DeleteFunc(sbs.Items, func(sb *runtimeapi.PodSandbox) bool { return slices.Contains(plan.sandboxes, sb.Id) })
	errs = append(errs, k.removePodLogDirs(left, removable))
	return errors.Join(errs...)
}

// removeDeadContainer removes one container and its log file, which
// the runtime leaves to the kubelet.
func (k *Kubelet) removeDeadContainer(ctx context.Context, id string) error {
	st, err := k.cfg.Runtime.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id})
	if status.Code(err) == codes.NotFound {
		return nil
	}
	if err != nil {
		return fmt.Errorf("container status %s: %w", id, err)
	}
	if _, err := k.cfg.Runtime.RemoveContainer(ctx, &runtimeapi.RemoveContainerRequest{ContainerId: id}); err != nil && status.Code(err) != codes.NotFound {
		return fmt.Errorf("remove container %s: %w", id, err)
	}
	if p := st.GetStatus().GetLogPath(); p != "" {
		_ = os.Remove(p)
	}
	return nil
}

// removePodLogDirs removes <LogRoot>/<ns>_<name>_<uid> of pods whose
// content may go and that no sandbox is left of.
func (k *Kubelet) removePodLogDirs(sbs []*runtimeapi.PodSandbox, removable func(types.UID) bool) error {
	ents, err := os.ReadDir(k.cfg.LogRoot)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return fmt.Errorf("pod log dirs: %w", err)
	}
	hasSandbox := map[types.UID]bool{}
	for _, sb := range sbs {
		hasSandbox[types.UID(sb.Labels[labelPodUID])] = true
	}
	var errs []error
	for _, e := range ents {
		parts := strings.Split(e.Name(), "_")
		if !e.IsDir() || len(parts) != 3 {
			continue
		}
		uid := types.UID(parts[2])
		if hasSandbox[uid] || !removable(uid) {
			continue
		}
		errs = append(errs, os.RemoveAll(filepath.Join(k.cfg.LogRoot, e.Name())))
	}
	return errors.Join(errs...)
}
