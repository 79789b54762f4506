// Package cronjob creates Jobs on the schedules of CronJobs, as
// Kubernetes' CronJob controller (v2).
//
// The schedule is read in spec.timeZone (or the controller's local time,
// or a TZ= prefix). At each sync the controller finds the most recent
// scheduled time it has not started since status.lastScheduleTime (or
// the CronJob's creation), ignoring times older than
// startingDeadlineSeconds; when more than 100 starts were missed it
// records TooManyMissedTimes and still starts only the most recent one.
// A start later than startingDeadlineSeconds is skipped (MissSchedule).
// concurrencyPolicy Forbid skips a start while a job is active; Replace
// deletes the active jobs first; Allow runs them side by side.
//
// Jobs are named <cronjob>-<scheduled time in Unix minutes> and annotated
// batch.kubernetes.io/cronjob-scheduled-timestamp, so a start is never
// made twice. The status lists the active jobs and records
// lastScheduleTime and lastSuccessfulTime; finished jobs beyond the
// successful and failed history limits are deleted, oldest first. The
// clock is injected (Controller.Clock) so that tests control time.
package cronjob
