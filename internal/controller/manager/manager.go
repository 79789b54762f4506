// Package manager runs a set of controllers on shared informers: the
// controller-manager role of a skiff server, or `skiff controller-manager`
// on its own.
package manager

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
)

// Config says which controllers to run and how.
type Config struct {
	REST *rest.Config
	// Controllers selects controllers as kube-controller-manager's
	// --controllers does: "*" is every one, "name" adds one, "-name"
	// removes one. Empty means "*".
	Controllers []string
	Options     controllerctx.Options
	Metrics     prometheus.Registerer
	Log         *slog.Logger
	// Constructors overrides the built-in set (tests).
	Constructors map[string]controllerctx.Constructor
}

// Manager runs controllers. New validates; Run starts them and blocks.
type Manager struct {
	cfg      Config
	selected []string
}

// New checks the controller selection.
func New(cfg Config) (*Manager, error) {
	if cfg.Constructors == nil {
		cfg.Constructors = Builtin()
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = prometheus.NewRegistry()
	}
	sel, err := selectControllers(cfg.Controllers, cfg.Constructors)
	if err != nil {
		return nil, err
	}
	return &Manager{cfg: cfg, selected: sel}, nil
}

// Selected lists the controllers Run will start, sorted.
func (m *Manager) Selected() []string { return m.selected }

func selectControllers(spec []string, known map[string]controllerctx.Constructor) ([]string, error) {
	if len(spec) == 0 {
		spec = []string{"*"}
	}
	on := map[string]bool{}
	for _, s := range spec {
		name, off := strings.TrimPrefix(s, "-"), strings.HasPrefix(s, "-")
		if name == "*" {
			for n := range known {
				if _, set := on[n]; !set {
					on[n] = true
				}
			}
			continue
		}
		if known[name] == nil {
			return nil, fmt.Errorf("--controllers: unknown controller %q (known: %s)", name, strings.Join(sortedKeys(known), ", "))
		}
		on[name] = !off
	}
	var out []string
	for n, yes := range on {
		if yes {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

func sortedKeys(m map[string]controllerctx.Constructor) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Run builds every selected controller, starts the shared informers,
// waits for them to sync, then runs the controllers until ctx ends.
func (m *Manager) Run(ctx context.Context) error {
	cc, stopEvents, err := m.context()
	if err != nil {
		return err
	}
	defer stopEvents()
	var ctrls []controllerctx.Controller
	for _, name := range m.selected {
		c, err := m.cfg.Constructors[name](cc)
		if err != nil {
			return fmt.Errorf("controller %s: %w", name, err)
		}
		ctrls = append(ctrls, c)
	}
	cc.Informers.Start(ctx.Done())
	defer cc.Informers.Shutdown()
	for typ, ok := range cc.Informers.WaitForCacheSync(ctx.Done()) {
		if !ok && ctx.Err() == nil {
			return fmt.Errorf("informer for %v did not sync", typ)
		}
	}
	m.cfg.Log.Info("controllers started", "controllers", m.selected)
	g, gctx := errgroup.WithContext(ctx)
	for _, c := range ctrls {
		g.Go(func() error { return c.Run(gctx) })
	}
	return g.Wait()
}

func (m *Manager) context() (*controllerctx.Context, func(), error) {
	client, err := kubernetes.NewForConfig(m.cfg.REST)
	if err != nil {
		return nil, nil, err
	}
	dyn, err := dynamic.NewForConfig(m.cfg.REST)
	if err != nil {
		return nil, nil, err
	}
	md, err := metadata.NewForConfig(m.cfg.REST)
	if err != nil {
		return nil, nil, err
	}
	opts := m.cfg.Options
	if len(opts.RootCA) == 0 {
		opts.RootCA = m.cfg.REST.CAData
		if len(opts.RootCA) == 0 && m.cfg.REST.CAFile != "" {
			if opts.RootCA, err = os.ReadFile(m.cfg.REST.CAFile); err != nil {
				return nil, nil, fmt.Errorf("root CA: %w", err)
			}
		}
	}
	broadcaster := record.NewBroadcaster()
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	cc := &controllerctx.Context{
		Client: client, Dynamic: dyn, Metadata: md,
		Informers: informers.NewSharedInformerFactory(client, 0),
		Recorder: func(component string) record.EventRecorder {
			return broadcaster.NewRecorder(scheme(), corev1.EventSource{Component: component})
		},
		Options: opts, Metrics: m.cfg.Metrics, Log: m.cfg.Log,
	}
	return cc, broadcaster.Shutdown, nil
}
