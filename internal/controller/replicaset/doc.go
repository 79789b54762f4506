// Package replicaset keeps the number of pods of each ReplicaSet at
// spec.replicas, as Kubernetes' ReplicaSet controller: it creates pods
// from the template in slow-start batches, deletes surplus pods in
// ActivePods order, adopts matching orphans and releases pods that stop
// matching, and never overshoots while its informer lags thanks to
// expectations. It writes the ReplicaSet's status.
//
// The same core runs ReplicationControllers through a Kind adapter (see
// package replicationcontroller).
package replicaset
