package prober

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestTracker(t *testing.T) {
	S, F := Success, Failure
	tests := []struct {
		name       string
		kind       Kind
		succ, fail int32
		in         []Result
		want       []Result // verdict after each outcome
	}{
		{"readiness starts failing, one success flips", Readiness, 1, 3, []Result{S, F, F, F}, []Result{S, S, S, F}},
		{"readiness successThreshold 2", Readiness, 2, 1, []Result{S, F, S, S}, []Result{F, F, F, S}},
		{"liveness default failureThreshold 3", Liveness, 0, 0, []Result{F, F, S, F, F, F}, []Result{S, S, S, S, S, F}},
		{"startup undecided until a verdict", Startup, 1, 2, []Result{F, F}, []Result{Unknown, F}},
		{"startup succeeds", Startup, 1, 2, []Result{F, S}, []Result{Unknown, S}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewTracker(tt.kind, &corev1.Probe{SuccessThreshold: tt.succ, FailureThreshold: tt.fail})
			var got []Result
			for _, r := range tt.in {
				tr.Observe(r)
				got = append(got, tr.Result())
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("verdicts (-want +got):\n%s", d)
			}
		})
	}
}

// fakeClock fires a timer only when the test ticks, and records the
// durations asked for.
type fakeClock struct {
	asked chan time.Duration
	fire  chan time.Time
}

func (c *fakeClock) after(d time.Duration) <-chan time.Time {
	c.asked <- d
	return c.fire
}

func TestWorkerLiveness(t *testing.T) {
	clock := &fakeClock{asked: make(chan time.Duration), fire: make(chan time.Time)}
	exits := []int32{0, 1, 1}
	var probes []string
	changes := make(chan Result, 1)
	w := &Worker{
		Kind:  Liveness,
		Probe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"check"}}}, InitialDelaySeconds: 5, PeriodSeconds: 2, FailureThreshold: 2},
		Target: Target{Exec: func(context.Context, []string, time.Duration) ([]byte, int32, error) {
			code := exits[0]
			exits = exits[1:]
			return []byte("out"), code, nil
		}},
		After:    clock.after,
		OnProbe:  func(r Result, msg string) { probes = append(probes, r.String()+" "+msg) },
		OnChange: func(r Result) { changes <- r },
	}
	done := make(chan struct{})
	go func() { w.Run(context.Background()); close(done) }()
	var asked []time.Duration
	for range 3 {
		asked = append(asked, <-clock.asked)
		clock.fire <- time.Time{}
	}
	<-done
	if d := cmp.Diff([]time.Duration{5 * time.Second, 2 * time.Second, 2 * time.Second}, asked); d != "" {
		t.Errorf("waits (-want +got):\n%s", d)
	}
	want := []string{"Success ", `Failure command "check" exited with 1: out`, `Failure command "check" exited with 1: out`}
	if d := cmp.Diff(want, probes); d != "" {
		t.Errorf("probes (-want +got):\n%s", d)
	}
	if r := <-changes; r != Failure {
		t.Errorf("change to %s, want Failure", r)
	}
}

func TestWorkerGate(t *testing.T) {
	clock := &fakeClock{asked: make(chan time.Duration), fire: make(chan time.Time)}
	ran := 0
	w := &Worker{
		Kind:  Readiness,
		Probe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"x"}}}},
		Target: Target{Exec: func(context.Context, []string, time.Duration) ([]byte, int32, error) {
			ran++
			return nil, 0, nil
		}},
		After: clock.after,
		Gate:  func() bool { return false },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	for range 3 {
		<-clock.asked
		clock.fire <- time.Time{}
	}
	<-clock.asked
	cancel()
	<-done
	if ran != 0 {
		t.Errorf("gated probe ran %d times", ran)
	}
}

func TestRunHTTPAndTCP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			if r.Header.Get("X-Check") != "1" {
				w.WriteHeader(http.StatusBadRequest)
			}
		case "/redirect":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		default:
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte("broken"))
		}
	}))
	defer srv.Close()
	host, portS, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	port, _ := strconv.Atoi(portS)
	tgt := Target{Host: host, Ports: []corev1.ContainerPort{{Name: "web", ContainerPort: int32(port)}}}
	get := func(path string, headers ...corev1.HTTPHeader) corev1.ProbeHandler {
		return corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromString("web"), HTTPHeaders: headers}}
	}
	tests := []struct {
		name string
		h    corev1.ProbeHandler
		want Result
		msg  string
	}{
		{"200 with header", get("/ok", corev1.HTTPHeader{Name: "X-Check", Value: "1"}), Success, ""},
		{"400 without header", get("/ok"), Failure, "HTTP probe failed with statuscode: 400: "},
		{"302 is success", get("/redirect"), Success, ""},
		{"500", get("/bad"), Failure, "HTTP probe failed with statuscode: 500: broken"},
		{"tcp open", corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(int32(port))}}, Success, ""},
		{"unknown named port", corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("nope")}}, Failure, `port "nope" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, msg := Run(context.Background(), tt.h, tgt, time.Second)
			if r != tt.want || msg != tt.msg {
				t.Errorf("got %s %q, want %s %q", r, msg, tt.want, tt.msg)
			}
		})
	}
}

// Every network probe connects through Target.Dial when it is set, so a
// refusing dialer keeps probes off the network (hollow nodes).
func TestRunUsesTargetDial(t *testing.T) {
	var dialed []string
	tgt := Target{Host: "100.64.0.9", Dial: func(_ context.Context, _, addr string) (net.Conn, error) {
		dialed = append(dialed, addr)
		return nil, errors.New("refused by test")
	}}
	port := intstr.FromInt32(8080)
	for _, h := range []corev1.ProbeHandler{
		{HTTPGet: &corev1.HTTPGetAction{Port: port}},
		{TCPSocket: &corev1.TCPSocketAction{Port: port}},
		{GRPC: &corev1.GRPCAction{Port: 8080}},
	} {
		if r, msg := Run(context.Background(), h, tgt, time.Second); r != Failure || !strings.Contains(msg, "refused by test") {
			t.Errorf("%+v: %s %q, want a failure from the dialer", h, r, msg)
		}
	}
	if len(dialed) != 3 || dialed[0] != "100.64.0.9:8080" {
		t.Errorf("dialed %v, want three dials of 100.64.0.9:8080", dialed)
	}
}
