package cronjob

import (
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/skiff-sh/skiff/internal/registry/batch"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func cronJob(sched string, created time.Time, last *time.Time, deadline *int64) *batchv1.CronJob {
	cj := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "report", CreationTimestamp: metav1.NewTime(created)},
		Spec: batchv1.CronJobSpec{Schedule: sched, StartingDeadlineSeconds: deadline}}
	if last != nil {
		cj.Status.LastScheduleTime = &metav1.Time{Time: *last}
	}
	return cj
}

func TestMostRecent(t *testing.T) {
	secs := func(n int64) *int64 { return &n }
	at := func(d time.Duration) *time.Time { v := t0.Add(d); return &v }
	for _, tc := range []struct {
		name     string
		cj       *batchv1.CronJob
		now      time.Time
		deadline bool
		want     *time.Time
		missed   int64
	}{
		{"not yet", cronJob("*/5 * * * *", t0, nil, nil), t0.Add(4 * time.Minute), true, nil, 0},
		{"one due", cronJob("*/5 * * * *", t0, nil, nil), t0.Add(6 * time.Minute), true, at(5 * time.Minute), 1},
		{"already started", cronJob("*/5 * * * *", t0, at(5*time.Minute), nil), t0.Add(6 * time.Minute), true, nil, 0},
		{"several missed", cronJob("*/5 * * * *", t0, nil, nil), t0.Add(32 * time.Minute), true, at(30 * time.Minute), 6},
		{"too many missed", cronJob("* * * * *", t0, nil, nil), t0.Add(3 * time.Hour), true, at(3 * time.Hour), 180},
		{"deadline limits the look-back", cronJob("* * * * *", t0, nil, secs(90)), t0.Add(3*time.Hour + 30*time.Second), true, at(3 * time.Hour), 1},
		{"uneven schedule", cronJob("30 6-16/4 * * *", t0, nil, nil), t0.Add(48 * time.Hour), true, at(48*time.Hour + 30*time.Minute - 4*time.Hour), 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := batch.CompileSchedule(tc.cj.Spec.Schedule)
			if err != nil {
				t.Fatal(err)
			}
			_, got, missed, err := mostRecent(tc.cj, tc.now, s, tc.deadline)
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tc.want == nil) || (got != nil && !got.Equal(*tc.want)) || missed != tc.missed {
				t.Errorf("got %v (missed %d), want %v (missed %d)", got, missed, tc.want, tc.missed)
			}
		})
	}
}

func TestRequeueAfterAndJobName(t *testing.T) {
	s, _ := batch.CompileSchedule("*/5 * * * *")
	cj := cronJob("*/5 * * * *", t0, nil, nil)
	if d, ok := requeueAfter(cj, t0.Add(2*time.Minute), s); !ok || d != 3*time.Minute+nextScheduleDelta {
		t.Errorf("requeue after %v %v", d, ok)
	}
	if got := jobName(cj, t0); got != "report-29539320" {
		t.Errorf("job name %s", got)
	}
	tz := "Asia/Tokyo"
	cj.Spec.TimeZone = &tz
	if got := scheduleSpec(cj); got != "TZ=Asia/Tokyo */5 * * * *" {
		t.Errorf("schedule spec %q", got)
	}
}
