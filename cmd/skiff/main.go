// Command skiff is the single binary of a skiff cluster: `skiff server`
// runs a control plane, `skiff version` prints the build.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `skiff: a Kubernetes-compatible container orchestrator in one binary.

Usage:
  skiff server [flags]   run a control plane (embedded etcd by default)
  skiff controller-manager --kubeconfig F   run the controllers on their own
  skiff scheduler --kubeconfig F            run the scheduler on its own
  skiff agent --server URL --token-file F   run a node (containerd + kubelet)
  skiff images pause-tar OUT | import FILE.tar...   images without a registry
  skiff check            preflight: can this machine run a node?
  skiff bench api        measure API throughput, latency and footprint
  skiff bench scheduler  measure scheduling throughput and latency at scale
  skiff version          print the version

Run 'skiff COMMAND -h' for a command's flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signalContext()
	defer stop()
	var err error
	switch os.Args[1] {
	case "server":
		err = runServer(ctx, os.Args[2:])
	case "agent":
		err = runAgent(ctx, os.Args[2:])
	case "images":
		err = runImages(ctx, os.Args[2:])
	case "check":
		err = runCheck(ctx, os.Args[2:])
	case "scheduler":
		err = runScheduler(ctx, os.Args[2:])
	case "controller-manager":
		err = runControllerManager(ctx, os.Args[2:])
	case "bench":
		err = runBench(ctx, os.Args[2:])
	case "version", "--version":
		err = runVersion(os.Args[2:])
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "skiff: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(os.Stderr, "skiff %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

// signalContext is cancelled by the first SIGINT or SIGTERM; a second one
// exits at once.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ch
		cancel()
		<-ch
		os.Exit(130)
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}
