package main

import (
	"context"
	"flag"
	"os"

	"github.com/skiff-sh/skiff/internal/bench"
)

// runBenchScheduler runs `skiff bench scheduler`: per case, an in-process
// API server, fake nodes, pending pods and a scheduler placing them.
func runBenchScheduler(ctx context.Context, args []string) error {
	opts := bench.DefaultSchedulerOptions()
	var out, sel string
	var nodes, pods, percentage int
	fs := flag.NewFlagSet("skiff bench scheduler", flag.ContinueOnError)
	fs.StringVar(&sel, "case", "all", "cases to run: a (5000 nodes, 10000 pods), b (a with zone spread), c (1000 nodes, 30000 pods), a list such as a,c, or all")
	fs.IntVar(&nodes, "nodes", 0, "with --pods: run one custom case of this many nodes instead")
	fs.IntVar(&pods, "pods", 0, "with --nodes: pods of the custom case")
	fs.IntVar(&opts.Clients, "clients", opts.Clients, "concurrent clients creating nodes and pods")
	fs.IntVar(&percentage, "percentage-of-nodes-to-score", 0, "scheduler's percentageOfNodesToScore; 0 adapts to the cluster size")
	fs.StringVar(&opts.DataDir, "data-dir", "", "server data directory (default: a temporary one per case, removed afterwards)")
	fs.StringVar(&opts.CPUProfile, "cpuprofile", "", "keep each case's CPU profile in FILE (FILE-<case> for several cases)")
	fs.StringVar(&out, "out", "bench-scheduler.json", "where the JSON report goes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts.PercentageOfNodesToScore = int32(percentage)
	if nodes > 0 && pods > 0 {
		opts.Cases = []bench.SchedulerCase{{Name: "custom", Nodes: nodes, Pods: pods}}
	} else {
		cases, err := bench.SchedulerCases(sel)
		if err != nil {
			return err
		}
		opts.Cases = cases
	}
	reports, err := bench.RunScheduler(ctx, opts, os.Stderr)
	for _, r := range reports {
		r.Print(os.Stdout)
	}
	if len(reports) > 0 {
		if werr := bench.WriteSchedulerJSON(out, reports); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}
