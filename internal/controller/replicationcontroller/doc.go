// Package replicationcontroller runs the ReplicaSet controller's core for
// ReplicationControllers: it only converts between the two types.
package replicationcontroller
