package kubelet

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Signal is an eviction signal, named as the kubelet names it.
type Signal string

// The signals skiff observes.
const (
	SignalMemoryAvailable   Signal = "memory.available"
	SignalNodeFsAvailable   Signal = "nodefs.available"
	SignalNodeFsInodesFree  Signal = "nodefs.inodesFree"
	SignalImageFsAvailable  Signal = "imagefs.available"
	SignalImageFsInodesFree Signal = "imagefs.inodesFree"
)

// Threshold is one hard eviction threshold: the node is under pressure
// while Signal is below Quantity or, when Quantity is nil, below
// Percentage of the signal's capacity.
type Threshold struct {
	Signal     Signal
	Quantity   *resource.Quantity
	Percentage float64 // 0..1
}

// DefaultEvictionHard is Kubernetes' default --eviction-hard.
const DefaultEvictionHard = "memory.available<100Mi,nodefs.available<10%,nodefs.inodesFree<5%,imagefs.available<15%"

// ParseThresholds reads the kubelet's --eviction-hard syntax, e.g.
// "memory.available<100Mi,nodefs.available<10%". As in Kubernetes, the
// given list replaces the defaults entirely.
func ParseThresholds(s string) ([]Threshold, error) {
	out := []Threshold{}
	seen := map[Signal]bool{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, value, ok := strings.Cut(item, "<")
		if !ok {
			return nil, fmt.Errorf("eviction threshold %q: want <signal><<quantity>", item)
		}
		th, err := parseThreshold(Signal(strings.TrimSpace(name)), strings.TrimSpace(value))
		if err != nil {
			return nil, fmt.Errorf("eviction threshold %q: %w", item, err)
		}
		if seen[th.Signal] {
			return nil, fmt.Errorf("eviction threshold %q: %s given twice", item, th.Signal)
		}
		seen[th.Signal] = true
		out = append(out, th)
	}
	return out, nil
}

func parseThreshold(sig Signal, value string) (Threshold, error) {
	switch sig {
	case SignalMemoryAvailable, SignalNodeFsAvailable, SignalNodeFsInodesFree, SignalImageFsAvailable, SignalImageFsInodesFree:
	default:
		return Threshold{}, fmt.Errorf("unknown signal %q", sig)
	}
	if p, ok := strings.CutSuffix(value, "%"); ok {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || f < 0 || f > 100 {
			return Threshold{}, fmt.Errorf("percentage %q: want 0-100", value)
		}
		return Threshold{Signal: sig, Percentage: f / 100}, nil
	}
	q, err := resource.ParseQuantity(value)
	if err != nil {
		return Threshold{}, err
	}
	if q.Sign() < 0 {
		return Threshold{}, fmt.Errorf("negative quantity %s", value)
	}
	return Threshold{Signal: sig, Quantity: &q}, nil
}

// limit is the threshold as an amount, given the signal's capacity.
func (t Threshold) limit(capacity int64) *resource.Quantity {
	if t.Quantity != nil {
		return t.Quantity
	}
	return resource.NewQuantity(int64(t.Percentage*float64(capacity)), resource.BinarySI)
}

// String is the threshold in --eviction-hard syntax.
func (t Threshold) String() string {
	if t.Quantity != nil {
		return string(t.Signal) + "<" + t.Quantity.String()
	}
	return string(t.Signal) + "<" + strconv.FormatFloat(t.Percentage*100, 'f', -1, 64) + "%"
}
