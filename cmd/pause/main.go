// Command pause is the process of a pod's infrastructure (sandbox)
// container: it holds the pod's namespaces, reaps zombies as PID 1 and
// exits 0 on SIGTERM or SIGINT. Build it static (CGO_ENABLED=0); the
// agent packs it into skiff's pause image (see docs/agent.md).
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for s := range sigs {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		reap()
	}
}

// reap collects every exited child without blocking.
func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
