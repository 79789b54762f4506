package main

import (
	"context"
	"flag"
	"os"
	"runtime/pprof"

	"github.com/skiff-sh/skiff/internal/bench"
)

// runBenchControllers runs `skiff bench controllers`: a Deployment
// created and rolled out on hollow nodes by the controller manager.
func runBenchControllers(ctx context.Context, args []string) error {
	opts := bench.DefaultControllersOptions()
	var out string
	fs := flag.NewFlagSet("skiff bench controllers", flag.ContinueOnError)
	fs.IntVar(&opts.Nodes, "nodes", opts.Nodes, "hollow nodes the server runs")
	fs.IntVar(&opts.Replicas, "replicas", opts.Replicas, "replicas of the Deployment")
	quick := fs.Bool("quick", false, "a quick run: 100 nodes and 1000 replicas (explicit --nodes/--replicas win)")
	fs.DurationVar(&opts.NodeMonitorGracePeriod, "node-monitor-grace-period", 0, "the node lifecycle controller's grace period (0: its default, 40s); raise it when a loaded machine delays hollow nodes' lease renewals")
	fs.DurationVar(&opts.Timeout, "timeout", opts.Timeout, "give up after this long")
	fs.StringVar(&opts.DataDir, "data-dir", "", "server data directory (default: a temporary one, removed afterwards)")
	fs.StringVar(&out, "out", "bench-controllers.json", "where the JSON report goes")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the controller manager (this process) to FILE")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["nodes"] {
			opts.Nodes = 100
		}
		if !set["replicas"] {
			opts.Replicas = 1000
		}
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	r, err := bench.RunControllers(ctx, opts, os.Stderr)
	return report(r, err, out)
}
