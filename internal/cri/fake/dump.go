package fake

import (
	"fmt"
	"slices"
	"strings"
)

// Dump describes the runtime's sandboxes and containers, one a line in
// creation order, for tests to compare.
func (r *Runtime) Dump() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var lines []string
	for _, sb := range r.sandboxes {
		m := sb.config.Metadata
		lines = append(lines, fmt.Sprintf("%s sandbox %s/%s attempt=%d %s ip=%s", sb.id, m.Namespace, m.Name, m.Attempt, sb.state, sb.ip))
	}
	for _, c := range r.containers {
		r.settle(c)
		m := c.config.Metadata
		lines = append(lines, fmt.Sprintf("%s container %s in %s attempt=%d %s exit=%d", c.id, m.Name, c.sandboxID, m.Attempt, c.state, c.exitCode))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
