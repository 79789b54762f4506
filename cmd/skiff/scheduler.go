package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"k8s.io/client-go/kubernetes"

	"github.com/skiff-sh/skiff/internal/leader"
	"github.com/skiff-sh/skiff/internal/scheduler"
	"github.com/skiff-sh/skiff/internal/scheduler/framework"
)

// runScheduler runs the scheduler against a cluster, as kube-scheduler
// does.
func runScheduler(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("skiff scheduler", flag.ContinueOnError)
	api := addComponentAPIFlags(fs)
	name := fs.String("scheduler-name", scheduler.DefaultSchedulerName, "schedule the pods whose spec.schedulerName is this")
	leaderElect := fs.Bool("leader-elect", true, "run only while holding the kube-scheduler lease")
	percentage := fs.Int("percentage-of-nodes-to-score", 0, "percent of nodes to find feasible before scoring; 0 adapts to the cluster size")
	strategy := fs.String("scoring-strategy", string(framework.LeastAllocated), "NodeResourcesFit scoring: LeastAllocated (spread) or MostAllocated (bin packing)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log, err := newLogger(*logLevel)
	if err != nil {
		return err
	}
	rc, err := api.restConfig()
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	cfg := scheduler.Config{
		Client: client, SchedulerName: *name, PercentageOfNodesToScore: int32(*percentage),
		ScoringStrategy: framework.ScoringStrategy(*strategy), Log: log,
	}
	// A scheduler runs once: each leadership term gets a fresh one, which
	// starts from the cluster's state rather than from stale caches.
	run := func(ctx context.Context) error {
		s, err := scheduler.New(cfg)
		if err != nil {
			return err
		}
		return s.Run(ctx)
	}
	if _, err := scheduler.New(cfg); err != nil {
		return err // bad flags fail before campaigning
	}
	if !*leaderElect {
		return run(ctx)
	}
	host, _ := os.Hostname()
	return leader.Run(ctx, client, "kube-scheduler", fmt.Sprintf("%s_%d", host, os.Getpid()), run)
}
