package kubelet

import (
	"context"
	"time"

	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiff-sh/skiff/internal/kubelet/statsapi"
)

// statsPeriod is how often the stats provider samples CPU counters by
// itself (cadvisor's housekeeping interval), so usageNanoCores is an
// average over at most about this long even when nobody asked for a
// while.
const statsPeriod = 10 * time.Second

// statsRuntime is the part of CRI the stats provider calls.
type statsRuntime interface {
	runtimeapi.RuntimeServiceClient
	ImageFsInfo(ctx context.Context, in *runtimeapi.ImageFsInfoRequest, opts ...grpc.CallOption) (*runtimeapi.ImageFsInfoResponse, error)
}

// statsProvider answers the Summary API and the resource metrics from
// the runtime's stats and the machine's /proc. It is safe for concurrent
// use.
type statsProvider struct {
	k     *Kubelet
	rt    statsRuntime
	rates *cpuRates
}

func newStatsProvider(k *Kubelet, rt statsRuntime) *statsProvider {
	return &statsProvider{k: k, rt: rt, rates: newCPURates()}
}

// summary collects the node and its running pods. cpuMemOnly leaves out
// filesystems, as the Summary API's only_cpu_and_memory query does.
func (p *statsProvider) summary(ctx context.Context, cpuMemOnly bool) (*statsapi.Summary, error) {
	now := p.k.cfg.Now()
	p.rates.prune(now)
	in, err := listCRIStats(ctx, p.rt)
	if err != nil {
		return nil, err
	}
	s := &statsapi.Summary{Node: p.nodeStats(ctx, now, cpuMemOnly), Pods: in.podStats(p.rates)}
	if !cpuMemOnly {
		for i := range s.Pods {
			p.addPodFs(&s.Pods[i], now)
		}
	}
	return s, nil
}

// run samples every statsPeriod until ctx ends, so that requests find
// a recent previous sample to compute rates from.
func (p *statsProvider) run(ctx context.Context) {
	t := time.NewTicker(statsPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := p.summary(ctx, true); err != nil && ctx.Err() == nil {
			p.k.log.Debug("stats sample", "err", err)
		}
	}
}
