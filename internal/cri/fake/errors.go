package fake

import (
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func notFound(format string, args ...any) error {
	return status.Errorf(codes.NotFound, format, args...)
}

func invalid(format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, format, args...)
}

func unimplemented(method string) error {
	return status.Error(codes.Unimplemented, fmt.Sprintf("fake runtime: %s is not implemented", method))
}

// failKey names an injected failure: a CRI method and the name of what
// it acts on ("" for any).
type failKey struct{ method, name string }

// Fail makes every later call of method (e.g. "PullImage") on name fail
// with err, until Fail is called again with a nil err. The name is the
// image for PullImage, the container's name for CreateContainer and
// StartContainer, the pod's name for RunPodSandbox; "" matches any.
func (r *Runtime) Fail(method, name string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil {
		delete(r.failures, failKey{method, name})
		return
	}
	r.failures[failKey{method, name}] = err
}

// injected returns the failure set for method on name; callers hold mu.
func (r *Runtime) injected(method, name string) error {
	if err, ok := r.failures[failKey{method, name}]; ok {
		return err
	}
	return r.failures[failKey{method, ""}]
}

func resourceExhausted(format string, args ...any) error {
	return status.Errorf(codes.ResourceExhausted, format, args...)
}

// container and sandbox look an object up by ID; r.mu is held.
func (r *Runtime) container(id string) (*container, error) {
	if c, ok := r.containers[id]; ok {
		return c, nil
	}
	return nil, notFound("container %s", id)
}

func (r *Runtime) sandbox(id string) (*sandbox, error) {
	if sb, ok := r.sandboxes[id]; ok {
		return sb, nil
	}
	return nil, notFound("sandbox %s", id)
}
