package cronjob

import (
	"errors"
	"fmt"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
)

// nextScheduleDelta is added to requeue delays so the sync lands just
// after the scheduled time (Kubernetes' 100ms).
const nextScheduleDelta = 100 * time.Millisecond

// tooManyMissed is how many missed starts make the controller warn.
const tooManyMissed = 100

// schedule is what the controller needs of a compiled schedule.
type schedule interface {
	Next(time.Time) time.Time
}

// scheduleSpec returns the schedule with spec.timeZone as a TZ= prefix.
func scheduleSpec(cj *batchv1.CronJob) string {
	if cj.Spec.TimeZone == nil || strings.Contains(cj.Spec.Schedule, "TZ") {
		return cj.Spec.Schedule
	}
	return fmt.Sprintf("TZ=%s %s", *cj.Spec.TimeZone, cj.Spec.Schedule)
}

// mostRecent returns the earliest time the controller considers, the most
// recent scheduled time in (earliest, now] if any, and how many times
// were missed, as Kubernetes' mostRecentScheduleTime. withDeadline moves
// earliest up to now - startingDeadlineSeconds.
func mostRecent(cj *batchv1.CronJob, now time.Time, s schedule, withDeadline bool) (earliest time.Time, recent *time.Time, missed int64, err error) {
	earliest = cj.CreationTimestamp.Time
	if cj.Status.LastScheduleTime != nil {
		earliest = cj.Status.LastScheduleTime.Time
	}
	if d := cj.Spec.StartingDeadlineSeconds; withDeadline && d != nil {
		if deadline := now.Add(-time.Duration(*d) * time.Second); deadline.After(earliest) {
			earliest = deadline
		}
	}
	t1 := s.Next(earliest)
	t2 := s.Next(t1)
	if t1.IsZero() || now.Before(t1) {
		return earliest, nil, 0, nil
	}
	if now.Before(t2) {
		return earliest, &t1, 1, nil
	}
	// Count the misses roughly from the interval between two starts, then
	// walk the last few exactly.
	interval := int64(t2.Sub(t1).Round(time.Second).Seconds())
	if interval < 1 {
		return earliest, nil, 0, errors.New("time difference between two schedules is less than 1 second")
	}
	missed = int64(now.Sub(t1).Seconds())/interval + 1
	var last time.Time
	from := t1.Add(time.Duration((missed-2)*interval) * time.Second)
	for t := s.Next(from); !t.IsZero() && !t.After(now); t = s.Next(t) {
		last = t
	}
	if last.IsZero() {
		return earliest, nil, missed, nil
	}
	return earliest, &last, missed, nil
}

// requeueAfter returns how long until the next scheduled time, measured
// from the most recent one (or the earliest considered).
func requeueAfter(cj *batchv1.CronJob, now time.Time, s schedule) (time.Duration, bool) {
	earliest, recent, _, err := mostRecent(cj, now, s, false)
	if err != nil {
		return 0, false
	}
	if recent == nil {
		if earliest.IsZero() {
			return 0, false
		}
		recent = &earliest
	}
	next := s.Next(*recent)
	if next.IsZero() {
		return 0, false
	}
	return next.Add(nextScheduleDelta).Sub(now), true
}

// jobName names the job of cj scheduled at t: <cronjob>-<Unix minutes>.
func jobName(cj *batchv1.CronJob, t time.Time) string {
	return fmt.Sprintf("%s-%d", cj.Name, t.Unix()/60)
}
