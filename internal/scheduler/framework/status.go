package framework

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Code is the outcome of a plugin call.
type Code int

// Codes, as in kube-scheduler.
const (
	// Success means the plugin accepts the pod; a nil *Status means the same.
	Success Code = iota
	// Error is an internal error: the pod is retried after backoff.
	Error
	// Unschedulable means the pod does not fit now; preemption may help.
	Unschedulable
	// UnschedulableAndUnresolvable means the pod does not fit and removing
	// pods would not change that, so preemption skips the node.
	UnschedulableAndUnresolvable
	// Skip means the plugin has nothing to do for this pod (PreFilter,
	// PreScore): its later extension points are skipped.
	Skip
)

// Status is a plugin's verdict. A nil *Status is Success.
type Status struct {
	code    Code
	reasons []string
	err     error
	plugin  string
}

// NewStatus returns a status with the given code and reasons.
func NewStatus(code Code, reasons ...string) *Status {
	return &Status{code: code, reasons: reasons}
}

// AsStatus wraps err as an Error status; nil gives nil.
func AsStatus(err error) *Status {
	if err == nil {
		return nil
	}
	return &Status{code: Error, reasons: []string{err.Error()}, err: err}
}

// Code returns the status code; nil is Success.
func (s *Status) Code() Code {
	if s == nil {
		return Success
	}
	return s.code
}

// IsSuccess reports whether s is nil or Success.
func (s *Status) IsSuccess() bool { return s.Code() == Success }

// IsSkip reports whether s is Skip.
func (s *Status) IsSkip() bool { return s.Code() == Skip }

// IsRejected reports whether s is one of the two Unschedulable codes.
func (s *Status) IsRejected() bool {
	c := s.Code()
	return c == Unschedulable || c == UnschedulableAndUnresolvable
}

// Reasons returns the user-visible reasons.
func (s *Status) Reasons() []string {
	if s == nil {
		return nil
	}
	return s.reasons
}

// Message joins the reasons with ", ".
func (s *Status) Message() string {
	if s == nil {
		return ""
	}
	return strings.Join(s.reasons, ", ")
}

// Plugin returns the name of the plugin that produced s, if recorded.
func (s *Status) Plugin() string {
	if s == nil {
		return ""
	}
	return s.plugin
}

// WithPlugin records the plugin that produced s and returns s.
func (s *Status) WithPlugin(name string) *Status {
	if s != nil {
		s.plugin = name
	}
	return s
}

// AsError returns s as an error, or nil when s is Success or Skip.
func (s *Status) AsError() error {
	if s.IsSuccess() || s.IsSkip() {
		return nil
	}
	if s.err != nil {
		return s.err
	}
	return errors.New(s.Message())
}

// ReasonHistogram counts the nodes per reason, as "2 reason-a, 3
// reason-b", sorted as strings like kube-scheduler's messages.
func ReasonHistogram(m NodeToStatus) string {
	counts := map[string]int{}
	for _, s := range m {
		for _, r := range s.Reasons() {
			counts[r]++
		}
	}
	out := make([]string, 0, len(counts))
	for r, n := range counts {
		out = append(out, fmt.Sprintf("%d %s", n, r))
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
