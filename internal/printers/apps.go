package printers

import (
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/duration"
)

var appsKinds = map[schema.GroupVersionKind]printer{
	appsv1.SchemeGroupVersion.WithKind("Deployment"):                     {deploymentColumns, typed(deploymentRow)},
	appsv1.SchemeGroupVersion.WithKind("ReplicaSet"):                     {replicaSetColumns, typed(replicaSetRow)},
	appsv1.SchemeGroupVersion.WithKind("StatefulSet"):                    {statefulSetColumns, typed(statefulSetRow)},
	appsv1.SchemeGroupVersion.WithKind("DaemonSet"):                      {daemonSetColumns, typed(daemonSetRow)},
	appsv1.SchemeGroupVersion.WithKind("ControllerRevision"):             {revisionColumns, typed(revisionRow)},
	batchv1.SchemeGroupVersion.WithKind("Job"):                           {jobColumns, typed(jobRow)},
	batchv1.SchemeGroupVersion.WithKind("CronJob"):                       {cronJobColumns, typed(cronJobRow)},
	autoscalingv2.SchemeGroupVersion.WithKind("HorizontalPodAutoscaler"): {hpaColumns, typed(hpaRow)},
}

func selectorColumn(desc string) metav1.TableColumnDefinition {
	return wide("Selector", "string", desc)
}

var deploymentColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Ready", "string", "Number of the pod with ready state"),
	col("Up-to-date", "string", appsv1.DeploymentStatus{}.SwaggerDoc()["updatedReplicas"]),
	col("Available", "string", appsv1.DeploymentStatus{}.SwaggerDoc()["availableReplicas"]),
	ageColumn,
	containersColumn,
	imagesColumn,
	selectorColumn(appsv1.DeploymentSpec{}.SwaggerDoc()["selector"]),
}

func deploymentRow(d *appsv1.Deployment, now time.Time) []any {
	names, images := containerCells(d.Spec.Template.Spec.Containers)
	selector := "<invalid>"
	if sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err == nil {
		selector = sel.String()
	}
	return []any{
		d.Name, fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, replicas(d.Spec.Replicas)), int64(d.Status.UpdatedReplicas), int64(d.Status.AvailableReplicas),
		age(d.CreationTimestamp, now), names, images, selector,
	}
}

var replicaSetColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Desired", "integer", appsv1.ReplicaSetSpec{}.SwaggerDoc()["replicas"]),
	col("Current", "integer", appsv1.ReplicaSetStatus{}.SwaggerDoc()["replicas"]),
	col("Ready", "integer", appsv1.ReplicaSetStatus{}.SwaggerDoc()["readyReplicas"]),
	ageColumn,
	containersColumn,
	imagesColumn,
	selectorColumn(appsv1.ReplicaSetSpec{}.SwaggerDoc()["selector"]),
}

func replicaSetRow(rs *appsv1.ReplicaSet, now time.Time) []any {
	names, images := containerCells(rs.Spec.Template.Spec.Containers)
	return []any{
		rs.Name, replicas(rs.Spec.Replicas), int64(rs.Status.Replicas), int64(rs.Status.ReadyReplicas),
		age(rs.CreationTimestamp, now), names, images, metav1.FormatLabelSelector(rs.Spec.Selector),
	}
}

var statefulSetColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Ready", "string", "Number of the pod with ready state"),
	ageColumn,
	containersColumn,
	imagesColumn,
}

func statefulSetRow(s *appsv1.StatefulSet, now time.Time) []any {
	names, images := containerCells(s.Spec.Template.Spec.Containers)
	return []any{s.Name, fmt.Sprintf("%d/%d", s.Status.ReadyReplicas, replicas(s.Spec.Replicas)), age(s.CreationTimestamp, now), names, images}
}

var daemonSetColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Desired", "integer", appsv1.DaemonSetStatus{}.SwaggerDoc()["desiredNumberScheduled"]),
	col("Current", "integer", appsv1.DaemonSetStatus{}.SwaggerDoc()["currentNumberScheduled"]),
	col("Ready", "integer", appsv1.DaemonSetStatus{}.SwaggerDoc()["numberReady"]),
	col("Up-to-date", "integer", appsv1.DaemonSetStatus{}.SwaggerDoc()["updatedNumberScheduled"]),
	col("Available", "integer", appsv1.DaemonSetStatus{}.SwaggerDoc()["numberAvailable"]),
	col("Node Selector", "string", corev1.PodSpec{}.SwaggerDoc()["nodeSelector"]),
	ageColumn,
	containersColumn,
	imagesColumn,
	selectorColumn(appsv1.DaemonSetSpec{}.SwaggerDoc()["selector"]),
}

func daemonSetRow(ds *appsv1.DaemonSet, now time.Time) []any {
	st := ds.Status
	names, images := containerCells(ds.Spec.Template.Spec.Containers)
	return []any{
		ds.Name, int64(st.DesiredNumberScheduled), int64(st.CurrentNumberScheduled), int64(st.NumberReady), int64(st.UpdatedNumberScheduled), int64(st.NumberAvailable),
		labels.FormatLabels(ds.Spec.Template.Spec.NodeSelector), age(ds.CreationTimestamp, now), names, images, metav1.FormatLabelSelector(ds.Spec.Selector),
	}
}

var revisionColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Controller", "string", "Controller of the object"),
	col("Revision", "string", appsv1.ControllerRevision{}.SwaggerDoc()["revision"]),
	ageColumn,
}

// revisionRow names the controller as "kind.group/name", lower case.
func revisionRow(cr *appsv1.ControllerRevision, now time.Time) []any {
	controller := "<none>"
	if ref := metav1.GetControllerOf(cr); ref != nil {
		gk := schema.FromAPIVersionAndKind(ref.APIVersion, ref.Kind).GroupKind()
		controller = ref.Name
		if !gk.Empty() {
			controller = strings.ToLower(gk.String()) + "/" + ref.Name
		}
	}
	return []any{cr.Name, controller, cr.Revision, age(cr.CreationTimestamp, now)}
}

var jobColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Status", "string", "Status of the job."),
	col("Completions", "string", batchv1.JobStatus{}.SwaggerDoc()["succeeded"]),
	col("Duration", "string", "Time required to complete the job."),
	ageColumn,
	containersColumn,
	imagesColumn,
	selectorColumn(batchv1.JobSpec{}.SwaggerDoc()["selector"]),
}

func jobRow(job *batchv1.Job, now time.Time) []any {
	names, images := containerCells(job.Spec.Template.Spec.Containers)
	return []any{
		job.Name, jobStatus(job), jobCompletions(job), jobDuration(job, now), age(job.CreationTimestamp, now),
		names, images, metav1.FormatLabelSelector(job.Spec.Selector),
	}
}

// jobCompletions is "succeeded/completions", or for work-queue jobs
// "succeeded/1" with " of P" when parallelism exceeds one.
func jobCompletions(job *batchv1.Job) string {
	if job.Spec.Completions != nil {
		return fmt.Sprintf("%d/%d", job.Status.Succeeded, *job.Spec.Completions)
	}
	if p := job.Spec.Parallelism; p != nil && *p > 1 {
		return fmt.Sprintf("%d/1 of %d", job.Status.Succeeded, *p)
	}
	return fmt.Sprintf("%d/1", job.Status.Succeeded)
}

func jobDuration(job *batchv1.Job, now time.Time) string {
	switch start, end := job.Status.StartTime, job.Status.CompletionTime; {
	case start == nil:
		return ""
	case end == nil:
		return duration.HumanDuration(now.Sub(start.Time))
	default:
		return duration.HumanDuration(end.Sub(start.Time))
	}
}

func jobStatus(job *batchv1.Job) string {
	switch {
	case jobCondition(job, batchv1.JobComplete):
		return "Complete"
	case jobCondition(job, batchv1.JobFailed):
		return "Failed"
	case job.DeletionTimestamp != nil:
		return "Terminating"
	case jobCondition(job, batchv1.JobSuspended):
		return "Suspended"
	case jobCondition(job, batchv1.JobFailureTarget):
		return "FailureTarget"
	}
	return "Running"
}

// jobCondition reports whether the first condition of type t is true.
func jobCondition(job *batchv1.Job, t batchv1.JobConditionType) bool {
	for _, c := range job.Status.Conditions {
		if c.Type == t {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

var cronJobColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Schedule", "string", batchv1.CronJobSpec{}.SwaggerDoc()["schedule"]),
	col("Timezone", "string", batchv1.CronJobSpec{}.SwaggerDoc()["timeZone"]),
	col("Suspend", "boolean", batchv1.CronJobSpec{}.SwaggerDoc()["suspend"]),
	col("Active", "integer", batchv1.CronJobStatus{}.SwaggerDoc()["active"]),
	col("Last Schedule", "string", batchv1.CronJobStatus{}.SwaggerDoc()["lastScheduleTime"]),
	ageColumn,
	containersColumn,
	imagesColumn,
	selectorColumn(batchv1.JobSpec{}.SwaggerDoc()["selector"]),
}

func cronJobRow(cj *batchv1.CronJob, now time.Time) []any {
	last := "<none>"
	if cj.Status.LastScheduleTime != nil {
		last = age(*cj.Status.LastScheduleTime, now)
	}
	zone := "<none>"
	if cj.Spec.TimeZone != nil {
		zone = *cj.Spec.TimeZone
	}
	tmpl := cj.Spec.JobTemplate.Spec
	names, images := containerCells(tmpl.Template.Spec.Containers)
	return []any{
		cj.Name, cj.Spec.Schedule, zone, boolPtr(cj.Spec.Suspend), int64(len(cj.Status.Active)), last, age(cj.CreationTimestamp, now),
		names, images, metav1.FormatLabelSelector(tmpl.Selector),
	}
}

var hpaDoc = autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()

var hpaColumns = []metav1.TableColumnDefinition{
	nameColumn,
	col("Reference", "string", hpaDoc["scaleTargetRef"]),
	col("Targets", "string", hpaDoc["metrics"]),
	col("MinPods", "string", hpaDoc["minReplicas"]),
	col("MaxPods", "string", hpaDoc["maxReplicas"]),
	col("Replicas", "string", autoscalingv2.HorizontalPodAutoscalerStatus{}.SwaggerDoc()["currentReplicas"]),
	ageColumn,
}

func hpaRow(h *autoscalingv2.HorizontalPodAutoscaler, now time.Time) []any {
	minPods := "<unset>"
	if h.Spec.MinReplicas != nil {
		minPods = fmt.Sprint(*h.Spec.MinReplicas)
	}
	ref := h.Spec.ScaleTargetRef.Kind + "/" + h.Spec.ScaleTargetRef.Name
	return []any{h.Name, ref, hpaTargets(h.Spec.Metrics, h.Status.CurrentMetrics), minPods, int64(h.Spec.MaxReplicas), int64(h.Status.CurrentReplicas), age(h.CreationTimestamp, now)}
}
