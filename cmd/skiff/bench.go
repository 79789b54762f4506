package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/skiff-sh/skiff/internal/bench"
)

func runBench(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "scheduler" {
		return runBenchScheduler(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "network" {
		return runBenchNetwork(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "kubelet" {
		return runBenchKubelet(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "controllers" {
		return runBenchControllers(ctx, args[1:])
	}
	if len(args) == 0 || args[0] != "api" {
		return fmt.Errorf("usage: skiff bench api|scheduler|controllers|network|kubelet [flags]")
	}
	opts := bench.DefaultAPIOptions()
	var out string
	fs := flag.NewFlagSet("skiff bench api", flag.ContinueOnError)
	fs.IntVar(&opts.Creates, "creates", opts.Creates, "pods created by the concurrent clients")
	fs.IntVar(&opts.Clients, "clients", opts.Clients, "concurrent clients")
	fs.IntVar(&opts.ListSize, "list", opts.ListSize, "pods in the listed namespace")
	fs.IntVar(&opts.Watchers, "watchers", opts.Watchers, "concurrent watches")
	fs.IntVar(&opts.WatchWrites, "watch-writes", opts.WatchWrites, "writes every watcher receives")
	fs.DurationVar(&opts.Idle, "idle", opts.Idle, "how long the idle footprint is observed")
	fs.StringVar(&out, "out", "bench-api.json", "where the JSON report goes")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	r, err := bench.RunAPI(ctx, opts, os.Stderr)
	return report(r, err, out)
}

// report prints a benchmark's table to stdout and writes its JSON to
// out, whenever the run produced a report, even a partial one.
func report[T any, R interface {
	*T
	Print(io.Writer)
	WriteJSON(string) error
}](r R, err error, out string) error {
	if r == nil {
		return err
	}
	r.Print(os.Stdout)
	if werr := r.WriteJSON(out); werr != nil && err == nil {
		err = werr
	}
	return err
}
