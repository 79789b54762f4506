package batch

import (
	"testing"
	"time"
)

func TestScheduleNext(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		sched, from, want string
	}{
		{"*/5 * * * *", "2026-03-01T10:02:30Z", "2026-03-01T10:05:00Z"},
		{"*/5 * * * *", "2026-03-01T10:05:00Z", "2026-03-01T10:10:00Z"},
		{"0 0 * * *", "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z"},
		{"@hourly", "2026-03-01T10:00:00Z", "2026-03-01T11:00:00Z"},
		{"@weekly", "2026-03-04T12:00:00Z", "2026-03-08T00:00:00Z"},     // Wednesday to Sunday
		{"0 9 1 * MON", "2026-03-02T10:00:00Z", "2026-03-09T09:00:00Z"}, // day of month OR weekday
		{"0 9 * * MON", "2026-03-02T10:00:00Z", "2026-03-09T09:00:00Z"},
		{"0 9 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T09:00:00Z"},
		{"30 6-16/4 * * 1-5", "2026-03-06T15:00:00Z", "2026-03-09T06:30:00Z"},
		{"TZ=America/New_York 0 9 * * *", "2026-03-01T12:00:00Z", "2026-03-01T14:00:00Z"},
		{"CRON_TZ=America/New_York 0 9 * * *", "2026-03-08T12:00:00Z", "2026-03-08T13:00:00Z"}, // after DST start
		{"TZ=America/New_York 30 2 * * *", "2026-03-08T05:00:00Z", "2026-03-09T06:30:00Z"},     // no 02:30 on DST day: skipped, as Kubernetes does
		{"@every 90s", "2026-03-01T10:00:00.5Z", "2026-03-01T10:01:30Z"},
		{"59 23 31 2 *", "2026-01-01T00:00:00Z", "0001-01-01T00:00:00Z"},
	} {
		s, err := CompileSchedule(tc.sched)
		if err != nil {
			t.Fatalf("%q: %v", tc.sched, err)
		}
		got := s.Next(utc(tc.from))
		if want := utc(tc.want); !got.Equal(want) {
			t.Errorf("%q after %s: got %s, want %s", tc.sched, tc.from, got.UTC().Format(time.RFC3339), tc.want)
		}
	}
	// A time in another location is answered in that location.
	s, _ := CompileSchedule("0 9 * * *")
	if got := s.Next(time.Date(2026, 3, 1, 8, 0, 0, 0, ny)); got.Location() != ny || got.Hour() != 9 {
		t.Errorf("local schedule: %v", got)
	}
}
