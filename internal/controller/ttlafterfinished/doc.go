// Package ttlafterfinished deletes finished Jobs once
// spec.ttlSecondsAfterFinished has passed since they finished (their
// Complete or Failed condition), as Kubernetes' TTL-after-finished
// controller. Before deleting it reads the job fresh from the API server,
// in case its TTL changed, and deletes it with background propagation and
// a UID precondition; the garbage collector then removes its pods. The
// clock is injected.
package ttlafterfinished
