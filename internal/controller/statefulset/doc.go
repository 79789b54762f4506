// Package statefulset gives the pods of a StatefulSet stable identities,
// as Kubernetes' StatefulSet controller.
//
// Pod <set>-<ordinal> (ordinals from spec.ordinals.start) is labelled
// statefulset.kubernetes.io/pod-name and apps.kubernetes.io/pod-index, has
// hostname <set>-<ordinal> and subdomain spec.serviceName, and mounts the
// PersistentVolumeClaims <template>-<set>-<ordinal> made from
// spec.volumeClaimTemplates, which the controller creates first and never
// deletes.
//
// With OrderedReady pod management, pods are created in ordinal order,
// each only once the previous ones are running and ready (available, with
// minReadySeconds), and removed highest ordinal first, one at a time;
// Parallel creates and removes them all at once. Failed pods are deleted
// and recreated.
//
// Templates are stored as ControllerRevisions; pods carry the
// controller-revision-hash of theirs. status.currentRevision is what the
// pods ran before the last template change, status.updateRevision the
// current template. RollingUpdate deletes the pod with the highest ordinal
// not at the update revision, waiting for each to be healthy again, and
// leaves ordinals below the partition at the current revision; OnDelete
// updates a pod only when someone deletes it. When every pod is updated
// and ready the update revision becomes current.
//
// Not done: persistentVolumeClaimRetentionPolicy, maxUnavailable for
// rolling updates, repair of pods whose identity labels were edited.
package statefulset
