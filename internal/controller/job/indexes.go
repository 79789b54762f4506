package job

import (
	"slices"
	"strconv"
	"strings"
)

// parseIndexes reads a completedIndexes string ("1,3-5") into the sorted
// set of indexes below limit; malformed parts are skipped.
func parseIndexes(s string, limit int) map[int]bool {
	out := map[int]bool{}
	if s == "" {
		return out
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		first, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		last := first
		if isRange {
			if last, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		for i := first; i <= last && i < limit; i++ {
			out[i] = true
		}
	}
	return out
}

// formatIndexes writes a set of indexes as Kubernetes does: ascending,
// runs of consecutive indexes as "a-b".
func formatIndexes(set map[int]bool) string {
	idx := make([]int, 0, len(set))
	for i, ok := range set {
		if ok {
			idx = append(idx, i)
		}
	}
	slices.Sort(idx)
	var b strings.Builder
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(idx[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(idx[j]))
		}
		i = j + 1
	}
	return b.String()
}
