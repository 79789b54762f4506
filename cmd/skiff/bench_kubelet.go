package main

import (
	"context"
	"flag"
	"os"

	"github.com/skiff-sh/skiff/internal/bench"
)

// runBenchKubelet runs `skiff bench kubelet`: pod startup against the
// CRI floor and the node agent's idle footprint. `skiff bench kubelet
// node KUBECONFIG DIR` is the agent child process it starts.
func runBenchKubelet(ctx context.Context, args []string) error {
	if len(args) == 3 && args[0] == "node" {
		return bench.RunKubeletNode(ctx, args[1], args[2])
	}
	opts := bench.DefaultKubeletOptions()
	var out string
	fs := flag.NewFlagSet("skiff bench kubelet", flag.ContinueOnError)
	fs.IntVar(&opts.Pods, "pods", opts.Pods, "CRI floor sandboxes and pods started one at a time")
	fs.IntVar(&opts.Batch, "batch", opts.Batch, "pods created at once, kept for the second idle window")
	fs.DurationVar(&opts.Idle, "idle", opts.Idle, "each idle footprint window")
	fs.DurationVar(&opts.Timeout, "timeout", opts.Timeout, "give up after this long")
	fs.StringVar(&opts.DataDir, "data-dir", "", "server and node data directory (default: a temporary one, removed afterwards)")
	fs.StringVar(&out, "out", "bench-kubelet.json", "where the JSON report goes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, err := bench.RunKubelet(ctx, opts, os.Stderr)
	return report(r, err, out)
}
