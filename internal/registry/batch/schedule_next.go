package batch

import (
	"strings"
	"time"
)

// Schedule is a compiled CronJob schedule that computes activation times
// as the CronJob controller's cron parser does, daylight saving quirks
// included: five fields at second 0, day of month and day of week ORed
// unless either is "*" or "?", no activation more than five years ahead.
type Schedule struct {
	// loc is the schedule's TZ=, or nil for the location of the time
	// given to Next.
	loc                      *time.Location
	every                    time.Duration
	minute, hour, dom, month uint64
	dow                      uint64
	domStar, dowStar         bool
}

var macroFields = map[string]string{
	"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
	"@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}

// CompileSchedule parses s, which ParseSchedule accepts, into a Schedule.
func CompileSchedule(s string) (*Schedule, error) {
	if err := ParseSchedule(s); err != nil {
		return nil, err
	}
	sch := &Schedule{}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=") {
		zone, rest, _ := strings.Cut(s[strings.IndexByte(s, '=')+1:], " ")
		sch.loc, _ = time.LoadLocation(zone)
		s = strings.TrimSpace(rest)
	}
	if d, ok := strings.CutPrefix(s, "@every "); ok {
		every, _ := time.ParseDuration(d)
		sch.every = max(every.Truncate(time.Second), time.Second)
		return sch, nil
	}
	if f, ok := macroFields[s]; ok {
		s = f
	}
	fields := strings.Fields(s)
	dst := [5]*uint64{&sch.minute, &sch.hour, &sch.dom, &sch.month, &sch.dow}
	stars := [5]bool{}
	for i, f := range fields {
		for _, expr := range strings.Split(f, ",") {
			bits, star := scheduleFields[i].bits(expr)
			*dst[i] |= bits
			stars[i] = stars[i] || star
		}
	}
	sch.domStar, sch.dowStar = stars[2], stars[4]
	return sch, nil
}

// bits returns the values a checked list element selects, and whether it
// is an unstepped "*" or "?".
func (f scheduleField) bits(expr string) (uint64, bool) {
	rangePart, stepPart, hasStep := strings.Cut(expr, "/")
	start, end, _ := f.bounds(rangePart, expr)
	step := 1
	if hasStep {
		step, _ = parseNumber(stepPart)
		if !strings.Contains(rangePart, "-") {
			end = f.max
		}
	}
	var b uint64
	for v := start; v <= end; v += step {
		b |= 1 << uint(v)
	}
	star := (rangePart == "*" || rangePart == "?") && step == 1
	return b, star
}

// Next returns the first activation strictly after t, in t's location,
// or the zero time when there is none within five years.
func (s *Schedule) Next(t time.Time) time.Time {
	if s.every > 0 {
		return t.Add(s.every - time.Duration(t.Nanosecond()))
	}
	orig, loc := t.Location(), t.Location()
	if s.loc != nil {
		loc = s.loc
		t = t.In(loc)
	}
	t = t.Add(time.Second - time.Duration(t.Nanosecond())).Truncate(time.Second)
	added := false
	yearLimit := t.Year() + 5
wrap:
	if t.Year() > yearLimit {
		return time.Time{}
	}
	for s.month&(1<<uint(t.Month())) == 0 {
		if !added {
			added = true
			t = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
		}
		t = t.AddDate(0, 1, 0)
		if t.Month() == time.January {
			goto wrap
		}
	}
	for !s.dayMatches(t) {
		if !added {
			added = true
			t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		}
		t = t.AddDate(0, 0, 1)
		// Midnight may have moved by a daylight saving change.
		if h := t.Hour(); h != 0 {
			if h > 12 {
				t = t.Add(time.Duration(24-h) * time.Hour)
			} else {
				t = t.Add(-time.Duration(h) * time.Hour)
			}
		}
		if t.Day() == 1 {
			goto wrap
		}
	}
	for s.hour&(1<<uint(t.Hour())) == 0 {
		if !added {
			added = true
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), 0, 0, 0, loc)
		}
		t = t.Add(time.Hour)
		if t.Hour() == 0 {
			goto wrap
		}
	}
	for s.minute&(1<<uint(t.Minute())) == 0 {
		if !added {
			added = true
			t = t.Truncate(time.Minute)
		}
		t = t.Add(time.Minute)
		if t.Minute() == 0 {
			goto wrap
		}
	}
	for t.Second() != 0 {
		if !added {
			added = true
			t = t.Truncate(time.Second)
		}
		t = t.Add(time.Second)
		if t.Second() == 0 {
			goto wrap
		}
	}
	return t.In(orig)
}

func (s *Schedule) dayMatches(t time.Time) bool {
	dom := s.dom&(1<<uint(t.Day())) != 0
	dow := s.dow&(1<<uint(t.Weekday())) != 0
	if s.domStar || s.dowStar {
		return dom && dow
	}
	return dom || dow
}
