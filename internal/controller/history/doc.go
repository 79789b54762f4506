// Package history keeps the ControllerRevisions of a DaemonSet or
// StatefulSet, as Kubernetes' controller history: each distinct pod
// template is stored once as a revision named <owner>-<hash>, numbered in
// order of use; the hash also labels the pods made from it
// (controller-revision-hash). A name clash with different contents bumps
// the owner's collisionCount, which changes the hash. Old revisions beyond
// revisionHistoryLimit are deleted unless pods still use them.
package history
