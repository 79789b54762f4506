package scheduler

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"

	"github.com/skiff-sh/skiff/internal/scheduler/framework"
	"github.com/skiff-sh/skiff/internal/scheduler/plugins"
)

// DefaultSchedulerName is the profile pods get when they name none.
const DefaultSchedulerName = "default-scheduler"

// Config configures a Scheduler. Zero values take the defaults.
type Config struct {
	// REST reaches the API server; Client, when set, is used instead.
	REST   *rest.Config
	Client kubernetes.Interface
	// SchedulerName is the spec.schedulerName of the pods this scheduler
	// takes. Default "default-scheduler".
	SchedulerName string
	// PercentageOfNodesToScore bounds how many feasible nodes are looked
	// for before scoring, in percent of all nodes; 0 is adaptive as in
	// Kubernetes: 50 - nodes/125, at least 5%, and never fewer than 100
	// nodes.
	PercentageOfNodesToScore int32
	// ScoringStrategy of NodeResourcesFit. Default LeastAllocated.
	ScoringStrategy framework.ScoringStrategy
	// Metrics is where the scheduler_* metrics are registered; nil keeps
	// them private.
	Metrics prometheus.Registerer
	Log     *slog.Logger
	// Clock drives the queue's backoff and flushes. Default: real time.
	Clock clock.WithTicker
	// Parallelism is how many goroutines filter and score nodes. Default:
	// GOMAXPROCS, at most 16 (kube-scheduler's default); the work never
	// blocks, so more goroutines than processors only add switching.
	Parallelism int
	// Registry and Plugins replace the in-tree plugins and the default
	// profile.
	Registry framework.Registry
	Plugins  []framework.PluginConfig
}

func (c *Config) setDefaults() error {
	if c.Client == nil {
		if c.REST == nil {
			return errors.New("scheduler: REST or Client is required")
		}
		client, err := kubernetes.NewForConfig(c.REST)
		if err != nil {
			return fmt.Errorf("scheduler client: %w", err)
		}
		c.Client = client
	}
	if c.SchedulerName == "" {
		c.SchedulerName = DefaultSchedulerName
	}
	if c.PercentageOfNodesToScore < 0 || c.PercentageOfNodesToScore > 100 {
		return fmt.Errorf("scheduler: percentageOfNodesToScore %d is not in [0, 100]", c.PercentageOfNodesToScore)
	}
	if c.ScoringStrategy == "" {
		c.ScoringStrategy = framework.LeastAllocated
	}
	if c.Metrics == nil {
		c.Metrics = prometheus.NewRegistry()
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	if c.Parallelism <= 0 {
		c.Parallelism = min(framework.DefaultParallelism, runtime.GOMAXPROCS(0))
	}
	if c.Registry == nil {
		c.Registry = plugins.NewInTreeRegistry()
	}
	if c.Plugins == nil {
		c.Plugins = plugins.DefaultPlugins()
	}
	return nil
}

// Kubernetes' bounds on the nodes searched per pod.
const (
	minFeasibleNodesToFind           = 100
	minFeasibleNodesPercentageToFind = 5
)

// numFeasibleNodesToFind returns how many feasible nodes to look for
// among all before scoring.
func numFeasibleNodesToFind(percentage int32, all int) int {
	if all < minFeasibleNodesToFind {
		return all
	}
	if percentage == 0 {
		percentage = max(int32(50-all/125), minFeasibleNodesPercentageToFind)
	}
	return max(all*int(percentage)/100, minFeasibleNodesToFind)
}
