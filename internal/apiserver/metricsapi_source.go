package apiserver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/skiff-sh/skiff/internal/kubelet/statsapi"
)

const (
	// summaryTTL is how long a kubelet's summary (or its failure) is
	// reused, so that kubectl top and autoscalers asking together cost
	// one request per node.
	summaryTTL = 5 * time.Second
	// summaryTimeout bounds one kubelet request; a node that does not
	// answer in time is left out, as metrics-server leaves it out.
	summaryTimeout = 5 * time.Second
	// summaryParallel is how many kubelets are asked at once.
	summaryParallel = 16
)

// summaryCache fetches kubelets' /stats/summary and keeps each for
// summaryTTL. It is safe for concurrent use.
type summaryCache struct {
	mu      sync.Mutex
	entries map[string]*summaryEntry // by node name
	now     func() time.Time
}

// summaryEntry is one node's fetch; done closes when s or err is set.
type summaryEntry struct {
	done chan struct{}
	at   time.Time
	uid  string
	s    *statsapi.Summary
	err  error
}

func newSummaryCache() *summaryCache {
	return &summaryCache{entries: map[string]*summaryEntry{}, now: time.Now}
}

// summaries returns the summaries of nodes that answered, by node name.
// Nodes that report no kubelet port (hollow nodes) are not asked.
func (s *Server) summaries(ctx context.Context, nodes []*corev1.Node) map[string]*statsapi.Summary {
	s.summaryCache.prune()
	out := make(map[string]*statsapi.Summary, len(nodes))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, summaryParallel)
	for _, n := range nodes {
		if n.Status.DaemonEndpoints.KubeletEndpoint.Port == 0 {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			sum, err := s.summary(ctx, n)
			if err != nil {
				s.cfg.Log.Debug("metrics: kubelet summary", "node", n.Name, "err", err)
				return
			}
			mu.Lock()
			out[n.Name] = sum
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// summary returns node's summary from the cache or its kubelet; callers
// arriving during a fetch wait for it. The fetch is not bound to any one
// caller and ends within summaryTimeout.
func (s *Server) summary(ctx context.Context, node *corev1.Node) (*statsapi.Summary, error) {
	c := s.summaryCache
	c.mu.Lock()
	e, ok := c.entries[node.Name]
	if !ok || e.uid != string(node.UID) || (isClosed(e.done) && c.now().Sub(e.at) > summaryTTL) {
		e = &summaryEntry{done: make(chan struct{}), uid: string(node.UID)}
		c.entries[node.Name] = e
		go func() {
			e.s, e.err = s.fetchSummary(node)
			e.at = c.now()
			close(e.done)
		}()
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.s, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// prune forgets the finished fetches of nodes not asked about lately.
func (c *summaryCache) prune() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, e := range c.entries {
		if isClosed(e.done) && c.now().Sub(e.at) > 10*summaryTTL {
			delete(c.entries, name)
		}
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// fetchSummary asks node's kubelet for CPU and memory only. It is not
// bound to one caller's request, since others may wait for it too.
func (s *Server) fetchSummary(node *corev1.Node) (*statsapi.Summary, error) {
	target, err := s.nodeKubeletURL(node, "/stats/summary", url.Values{"only_cpu_and_memory": {"true"}})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), summaryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.kubelet.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("kubelet answered %s: %s", resp.Status, body)
	}
	var sum statsapi.Summary
	if err := json.NewDecoder(resp.Body).Decode(&sum); err != nil {
		return nil, fmt.Errorf("decode summary: %w", err)
	}
	return &sum, nil
}
