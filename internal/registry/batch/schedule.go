package batch

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// scheduleField is one of the five fields of a cron schedule.
type scheduleField struct {
	min, max int
	names    map[string]int
}

var scheduleFields = [5]scheduleField{
	{0, 59, nil}, // minute
	{0, 23, nil}, // hour
	{1, 31, nil}, // day of month
	{1, 12, map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}},
	{0, 6, map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}},
}

var scheduleMacros = map[string]bool{
	"@yearly": true, "@annually": true, "@monthly": true, "@weekly": true,
	"@daily": true, "@midnight": true, "@hourly": true,
}

// ParseSchedule checks a CronJob schedule as the CronJob controller reads
// it: an optional TZ= or CRON_TZ= prefix, then a macro such as @daily,
// "@every <duration>", or five fields (minute, hour, day of month, month,
// day of week) of lists, ranges, steps, "*" and "?", months and weekdays
// by name. Errors read like the controller's parser's.
func ParseSchedule(s string) error {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=") {
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			i = len(s)
		}
		zone := s[strings.IndexByte(s, '=')+1 : i]
		if _, err := time.LoadLocation(zone); err != nil {
			return fmt.Errorf("provided bad location %s: %v", zone, err)
		}
		s = strings.TrimSpace(s[i:])
	}
	if s == "" {
		return errors.New("empty spec string")
	}
	if strings.HasPrefix(s, "@") {
		return parseMacro(s)
	}
	fields := strings.Fields(s)
	if len(fields) != len(scheduleFields) {
		return fmt.Errorf("expected exactly %d fields, found %d: %s", len(scheduleFields), len(fields), fields)
	}
	for i, f := range fields {
		for _, expr := range strings.Split(f, ",") {
			if err := scheduleFields[i].check(expr); err != nil {
				return err
			}
		}
	}
	return nil
}

func parseMacro(s string) error {
	if d, ok := strings.CutPrefix(s, "@every "); ok {
		if _, err := time.ParseDuration(d); err != nil {
			return fmt.Errorf("failed to parse duration %s: %s", s, err)
		}
		return nil
	}
	if !scheduleMacros[s] {
		return fmt.Errorf("unrecognized descriptor: %s", s)
	}
	return nil
}

// check validates one list element: "*", "?", "n", "a-b", each optionally
// followed by "/step" ("n/step" runs from n to the field's maximum).
func (f scheduleField) check(expr string) error {
	rangePart, stepPart, hasStep := strings.Cut(expr, "/")
	if strings.Contains(stepPart, "/") {
		return fmt.Errorf("too many slashes: %s", expr)
	}
	start, end, err := f.bounds(rangePart, expr)
	if err != nil {
		return err
	}
	step := 1
	if hasStep {
		if step, err = parseNumber(stepPart); err != nil {
			return err
		}
		if !strings.Contains(rangePart, "-") {
			end = f.max
		}
	}
	switch {
	case start < f.min:
		return fmt.Errorf("beginning of range (%d) below minimum (%d): %s", start, f.min, expr)
	case end > f.max:
		return fmt.Errorf("end of range (%d) above maximum (%d): %s", end, f.max, expr)
	case start > end:
		return fmt.Errorf("beginning of range (%d) beyond end of range (%d): %s", start, end, expr)
	case step == 0:
		return fmt.Errorf("step of range should be a positive number: %s", expr)
	}
	return nil
}

func (f scheduleField) bounds(rangePart, expr string) (start, end int, err error) {
	if rangePart == "*" || rangePart == "?" {
		return f.min, f.max, nil
	}
	lo, hi, isRange := strings.Cut(rangePart, "-")
	if strings.Contains(hi, "-") {
		return 0, 0, fmt.Errorf("too many hyphens: %s", expr)
	}
	if start, err = f.value(lo); err != nil || !isRange {
		return start, start, err
	}
	end, err = f.value(hi)
	return start, end, err
}

func (f scheduleField) value(s string) (int, error) {
	if n, ok := f.names[strings.ToLower(s)]; ok {
		return n, nil
	}
	return parseNumber(s)
}

func parseNumber(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("failed to parse int from %s: %s", s, err)
	}
	if n < 0 {
		return 0, fmt.Errorf("negative number (%d) not allowed: %s", n, s)
	}
	return n, nil
}
