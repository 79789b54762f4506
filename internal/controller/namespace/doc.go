// Package namespace empties terminating Namespaces, as Kubernetes'
// namespace controller: it deletes every namespaced object of every
// served resource (found by discovery), reports progress in the
// Namespace's deletion conditions, and once nothing is left removes the
// "kubernetes" finalizer through namespaces/<name>/finalize so that the
// API server removes the Namespace.
package namespace
