package main

import (
	"context"
	"flag"
	"os"

	"github.com/skiff-sh/skiff/internal/bench"
)

// runBenchScheduler runs `skiff bench scheduler`: an in-process control
// plane, fake nodes and a scheduler placing pods.
func runBenchScheduler(ctx context.Context, args []string) error {
	opts := bench.DefaultSchedulerOptions()
	var out string
	var percentage int
	fs := flag.NewFlagSet("skiff bench scheduler", flag.ContinueOnError)
	fs.IntVar(&opts.Nodes, "nodes", opts.Nodes, "nodes created (32 cpu, 256Gi, 110 pods each, in 3 zones)")
	fs.IntVar(&opts.Pods, "pods", opts.Pods, "pods created and scheduled (100m cpu, 128Mi each)")
	fs.IntVar(&opts.Clients, "clients", opts.Clients, "concurrent clients creating nodes and pods")
	fs.IntVar(&percentage, "percentage-of-nodes-to-score", 0, "scheduler's percentageOfNodesToScore; 0 adapts to the cluster size")
	fs.StringVar(&opts.DataDir, "data-dir", "", "server data directory (default: a temporary one, removed afterwards)")
	fs.StringVar(&out, "out", "bench-scheduler.json", "where the JSON report goes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts.PercentageOfNodesToScore = int32(percentage)
	r, err := bench.RunScheduler(ctx, opts, os.Stderr)
	if r != nil {
		r.Print(os.Stdout)
		if werr := r.WriteJSON(out); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}
