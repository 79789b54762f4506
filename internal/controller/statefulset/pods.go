package statefulset

import (
	"fmt"
	"maps"
	"regexp"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/skiff-sh/skiff/internal/controller/podutil"
)

var ordinalRE = regexp.MustCompile(`^(.*)-([0-9]+)$`)

// ordinal returns the ordinal of a pod of set by its name, or false.
func ordinal(set *appsv1.StatefulSet, pod *corev1.Pod) (int, bool) {
	m := ordinalRE.FindStringSubmatch(pod.Name)
	if m == nil || m[1] != set.Name {
		return 0, false
	}
	n, err := strconv.Atoi(m[2])
	return n, err == nil
}

func podName(set *appsv1.StatefulSet, ord int) string { return fmt.Sprintf("%s-%d", set.Name, ord) }

func claimName(set *appsv1.StatefulSet, tmpl *corev1.PersistentVolumeClaim, ord int) string {
	return fmt.Sprintf("%s-%s-%d", tmpl.Name, set.Name, ord)
}

func startOrdinal(set *appsv1.StatefulSet) int {
	if set.Spec.Ordinals != nil {
		return int(set.Spec.Ordinals.Start)
	}
	return 0
}

// newPod builds pod ord of set from template, at revision rev.
func newPod(set *appsv1.StatefulSet, template *corev1.PodTemplateSpec, rev string, ord int) *corev1.Pod {
	pod := podutil.PodFromTemplate(template, set, podutil.NewControllerRef(set, setKind))
	pod.GenerateName = ""
	pod.Name = podName(set, ord)
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	pod.Labels[appsv1.StatefulSetPodNameLabel] = pod.Name
	pod.Labels[appsv1.PodIndexLabel] = strconv.Itoa(ord)
	pod.Labels[appsv1.ControllerRevisionHashLabelKey] = rev
	pod.Spec.Hostname = pod.Name
	pod.Spec.Subdomain = set.Spec.ServiceName
	var vols []corev1.Volume
	for _, c := range claims(set, ord) {
		vols = append(vols, corev1.Volume{Name: c.volume, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: c.pvc.Name},
		}})
	}
	for _, v := range pod.Spec.Volumes {
		if !hasVolume(vols, v.Name) {
			vols = append(vols, v)
		}
	}
	pod.Spec.Volumes = vols
	return pod
}

func hasVolume(vols []corev1.Volume, name string) bool {
	for _, v := range vols {
		if v.Name == name {
			return true
		}
	}
	return false
}

// claim is a claim a pod needs and the volume name it is mounted as.
type claim struct {
	volume string
	pvc    *corev1.PersistentVolumeClaim
}

// claims returns the claims pod ord of set needs, labelled with the
// set's selector labels.
func claims(set *appsv1.StatefulSet, ord int) []claim {
	var out []claim
	for i := range set.Spec.VolumeClaimTemplates {
		tmpl := &set.Spec.VolumeClaimTemplates[i]
		c := &corev1.PersistentVolumeClaim{ObjectMeta: *tmpl.ObjectMeta.DeepCopy(), Spec: *tmpl.Spec.DeepCopy()}
		c.Name, c.Namespace = claimName(set, tmpl, ord), set.Namespace
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		if set.Spec.Selector != nil {
			maps.Copy(c.Labels, set.Spec.Selector.MatchLabels)
		}
		out = append(out, claim{volume: tmpl.Name, pvc: c})
	}
	return out
}

func revision(pod *corev1.Pod) string { return pod.Labels[appsv1.ControllerRevisionHashLabelKey] }

func terminating(pod *corev1.Pod) bool { return pod.DeletionTimestamp != nil }

func finished(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded
}

func runningAndReady(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodRunning && podutil.IsPodReady(pod)
}
