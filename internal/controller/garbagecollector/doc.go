// Package garbagecollector deletes objects whose owners are gone, as
// Kubernetes' garbage collector: it watches every
// served resource (found by discovery when Run starts, again every
// Resync and as soon as a CustomResourceDefinition or APIService
// changes, so custom resources are collected too), indexes objects by the
// UIDs of their owners, and
//
//   - background: deletes a dependent once none of its owners exists
//     (checked against the API server, not only the cache);
//   - foreground: for an owner with deletionTimestamp and the
//     foregroundDeletion finalizer, deletes its dependents and removes the
//     finalizer once no dependent with blockOwnerDeletion is left;
//   - orphan: for an owner with the orphan finalizer, removes the
//     ownerReferences to it from its dependents, then the finalizer.
//
// The API server adds those finalizers for propagationPolicy Foreground
// and Orphan. Events are not collected, as in Kubernetes.
package garbagecollector
