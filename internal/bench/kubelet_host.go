package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// childPID is the first child of pid whose command name is comm.
func childPID(pid int, comm string) (int, error) {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			c, _ := strconv.Atoi(f)
			name, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", c))
			if err == nil && strings.TrimSpace(string(name)) == comm {
				return c, nil
			}
		}
	}
	return 0, fmt.Errorf("no %s child of process %d", comm, pid)
}
