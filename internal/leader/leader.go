// Package leader runs work only while this process holds a Lease in
// kube-system, so that several servers can run the scheduler and the
// controller manager with one active copy of each.
package leader

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// Kubernetes' default lease timings.
const (
	leaseDuration = 15 * time.Second
	renewDeadline = 10 * time.Second
	retryPeriod   = 2 * time.Second
)

// Run campaigns for the Lease kube-system/lockName as identity and runs fn
// while it leads. If the lease is lost, fn's context is cancelled and Run
// campaigns again once fn has returned; only leader work stops, never the
// rest of the process. Run returns nil when ctx ends, or fn's error.
func Run(ctx context.Context, client kubernetes.Interface, lockName, identity string, fn func(ctx context.Context) error) error {
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: metav1.NamespaceSystem, Name: lockName},
		Client:     client.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: identity},
	}
	for ctx.Err() == nil {
		errc, started := make(chan error, 1), make(chan struct{})
		le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
			Lock: lock, LeaseDuration: leaseDuration, RenewDeadline: renewDeadline, RetryPeriod: retryPeriod,
			ReleaseOnCancel: true, Name: lockName,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(lctx context.Context) { close(started); errc <- fn(lctx) },
				OnStoppedLeading: func() {},
			},
		})
		if err != nil {
			return fmt.Errorf("leader election %s: %w", lockName, err)
		}
		le.Run(ctx) // returns when leadership is lost or ctx ends
		select {
		case <-started:
			// fn's context is cancelled by now; wait for it to finish.
			if err := <-errc; err != nil && ctx.Err() == nil {
				return err
			}
		default:
		}
	}
	return nil
}
