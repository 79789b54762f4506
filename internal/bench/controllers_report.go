package bench

import (
	"fmt"
	"io"
)

// PhaseReport is one measured phase: the Deployment's create or its
// rolling update, up to every replica available and updated.
type PhaseReport struct {
	Name       string  `json:"name"`
	Seconds    float64 `json:"seconds"`
	PodsPerSec float64 `json:"podsPerSec"`
	// Pods is the Deployment's pods at the end; OldPods those of them
	// with another template than the phase's.
	Pods        int         `json:"pods"`
	OldPods     int         `json:"oldPods"`
	Controllers ProcFigures `json:"controllerManager"`
	Server      ProcFigures `json:"server"`
}

// ControllersReport holds the controller manager benchmark's figures.
type ControllersReport struct {
	Nodes    int           `json:"nodes"`
	Replicas int           `json:"replicas"`
	Phases   []PhaseReport `json:"phases"`
}

// WriteJSON writes the report to path.
func (r *ControllersReport) WriteJSON(path string) error {
	return writeJSON(path, r)
}

// Print writes the report as a table, one row per phase.
func (r *ControllersReport) Print(w io.Writer) {
	fmt.Fprintf(w, "%d replicas on %d hollow nodes\n", r.Replicas, r.Nodes)
	fmt.Fprintf(w, "%-15s %9s %8s %12s %14s %12s %14s\n", "phase", "wall s", "pods/s", "ctrl CPU s", "ctrl RSS MiB", "server CPU s", "server RSS MiB")
	for _, p := range r.Phases {
		fmt.Fprintf(w, "%-15s %9.1f %8.0f %12.1f %14.0f %12.1f %14.0f\n", p.Name, p.Seconds, p.PodsPerSec,
			p.Controllers.CPUSeconds, p.Controllers.PeakRSSMiB, p.Server.CPUSeconds, p.Server.PeakRSSMiB)
	}
}
