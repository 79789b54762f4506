package podutil

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// ExpectationsTimeout is how long a controller waits for the creations
// and deletions it asked for to show in its informer before it syncs
// anyway (Kubernetes' 5 minutes).
const ExpectationsTimeout = 5 * time.Minute

// Expectations remembers, per controller key, how many pod creations and
// which pod deletions a controller has asked for but not yet seen in its
// informer, so that it neither overshoots nor undershoots while the
// informer lags (Kubernetes' UIDTrackingControllerExpectations).
type Expectations struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu  sync.Mutex
	exp map[string]*expectation
}

type expectation struct {
	adds    int
	deletes map[types.UID]bool
	at      time.Time
}

func (e *Expectations) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Satisfied reports whether the controller for key may sync: nothing is
// pending, or the expectations are older than ExpectationsTimeout.
func (e *Expectations) Satisfied(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	x := e.exp[key]
	if x == nil {
		return true
	}
	return (x.adds <= 0 && len(x.deletes) == 0) || e.now().Sub(x.at) > ExpectationsTimeout
}

// Expect replaces the expectations of key: adds creations and the
// deletion of the pods with the given uids.
func (e *Expectations) Expect(key string, adds int, deletes []types.UID) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.exp == nil {
		e.exp = map[string]*expectation{}
	}
	x := &expectation{adds: adds, deletes: map[types.UID]bool{}, at: e.now()}
	for _, u := range deletes {
		x.deletes[u] = true
	}
	e.exp[key] = x
}

// CreationObserved counts one creation as seen (or as never coming, when
// the create call failed).
func (e *Expectations) CreationObserved(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x := e.exp[key]; x != nil {
		x.adds--
	}
}

// DeletionObserved marks the pod with uid as deleted (or as never going,
// when the delete call failed).
func (e *Expectations) DeletionObserved(key string, uid types.UID) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if x := e.exp[key]; x != nil {
		delete(x.deletes, uid)
	}
}

// Forget drops the expectations of key, when its controller is gone.
func (e *Expectations) Forget(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.exp, key)
}
