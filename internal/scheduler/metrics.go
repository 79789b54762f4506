package scheduler

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/skiff-sh/skiff/internal/scheduler/queue"
)

// Results of a scheduling attempt, the "result" label.
const (
	resultScheduled     = "scheduled"
	resultUnschedulable = "unschedulable"
	resultError         = "error"
)

// metrics are kube-scheduler's metrics of the same names.
type metrics struct {
	attempts        *prometheus.CounterVec
	attemptDuration *prometheus.HistogramVec
	sliDuration     *prometheus.HistogramVec
	algorithm       prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer, q *queue.PriorityQueue) (*metrics, error) {
	m := &metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scheduler_schedule_attempts_total",
			Help: "Number of attempts to schedule pods, by the result. 'unschedulable' means a pod could not be scheduled, while 'error' means an internal scheduler problem.",
		}, []string{"result", "profile"}),
		attemptDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "scheduler_scheduling_attempt_duration_seconds",
			Help:    "Scheduling attempt latency in seconds (scheduling algorithm + binding).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}, []string{"result", "profile"}),
		sliDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "scheduler_pod_scheduling_sli_duration_seconds",
			Help:    "E2e latency for a pod being scheduled, from the time the pod enters the scheduling queue until it is bound; may include multiple scheduling attempts.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 20),
		}, []string{"attempts"}),
		algorithm: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "scheduler_scheduling_algorithm_duration_seconds",
			Help:    "Scheduling algorithm latency in seconds.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}),
	}
	pending := &pendingPods{q: q, desc: prometheus.NewDesc("scheduler_pending_pods",
		"Number of pending pods, by the queue type. 'active' means number of pods in activeQ; 'backoff' means number of pods in backoffQ; 'unschedulable' means number of pods in unschedulablePods; 'gated' means number of pods waiting for their scheduling gates.",
		[]string{"queue"}, nil)}
	var err error
	if m.attempts, err = register(reg, m.attempts); err != nil {
		return nil, err
	}
	if m.attemptDuration, err = register(reg, m.attemptDuration); err != nil {
		return nil, err
	}
	if m.sliDuration, err = register(reg, m.sliDuration); err != nil {
		return nil, err
	}
	if m.algorithm, err = register(reg, m.algorithm); err != nil {
		return nil, err
	}
	// The pending gauge reads this scheduler's queue: it replaces the one
	// of an earlier scheduler (a previous leadership term).
	reg.Unregister(pending)
	return m, reg.Register(pending)
}

// register registers c, or returns the collector an earlier scheduler
// registered under the same name so that counts carry on.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}

// pendingPods reports scheduler_pending_pods from the queue when scraped.
type pendingPods struct {
	q    *queue.PriorityQueue
	desc *prometheus.Desc
}

func (p *pendingPods) Describe(ch chan<- *prometheus.Desc) { ch <- p.desc }

func (p *pendingPods) Collect(ch chan<- prometheus.Metric) {
	active, backoff, unsched, gated := p.q.Pending()
	for q, n := range map[string]int{"active": active, "backoff": backoff, "unschedulable": unsched, "gated": gated} {
		ch <- prometheus.MustNewConstMetric(p.desc, prometheus.GaugeValue, float64(n), q)
	}
}
