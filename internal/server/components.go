package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/skiff-sh/skiff/internal/controller/controllerctx"
	"github.com/skiff-sh/skiff/internal/controller/manager"
	"github.com/skiff-sh/skiff/internal/hollow"
	"github.com/skiff-sh/skiff/internal/leader"
	"github.com/skiff-sh/skiff/internal/scheduler"
)

// loopbackConfig is how the server's own components reach the API: the
// admin identity over loopback HTTP/2, speaking protobuf like Kubernetes'
// components.
func (s *Server) loopbackConfig() *rest.Config {
	cfg := s.AdminRESTConfig()
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	cfg.QPS, cfg.Burst = 500, 1000
	return cfg
}

// components returns what runs beside the API once it is ready: the
// leader-elected controller manager and scheduler, and the hollow nodes
// if asked for.
func (s *Server) components(reg prometheus.Registerer) ([]func(context.Context) error, error) {
	cfg := s.loopbackConfig()
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	var out []func(context.Context) error
	identity := s.identity()
	if !s.cfg.DisableControllerManager {
		m, err := manager.New(manager.Config{REST: cfg, Controllers: s.cfg.Controllers, Options: s.signingOptions(), Metrics: reg, Log: s.log.With("component", "controller-manager")})
		if err != nil {
			return nil, err
		}
		out = append(out, func(ctx context.Context) error {
			return leader.Run(ctx, client, "kube-controller-manager", identity, m.Run)
		})
	}
	if !s.cfg.DisableScheduler {
		log := s.log.With("component", "scheduler")
		out = append(out, func(ctx context.Context) error {
			// A scheduler runs once: each term of leadership gets a new one.
			return leader.Run(ctx, client, "kube-scheduler", identity, func(ctx context.Context) error {
				sched, err := scheduler.New(scheduler.Config{Client: client, Metrics: reg, Log: log})
				if err != nil {
					return err
				}
				return sched.Run(ctx)
			})
		})
	}
	if s.cfg.HollowNodes > 0 {
		hc, err := hollowClient(cfg, s.cfg.HollowNodes)
		if err != nil {
			return nil, err
		}
		fleet, err := hollow.New(hollow.Config{Client: hc, Count: s.cfg.HollowNodes, Zones: []string{"zone-a", "zone-b", "zone-c"}, RootCA: cfg.CAData,
			DataDir: filepath.Join(s.cfg.DataDir, "hollow-nodes"), Log: s.log.With("component", "hollow-nodes")})
		if err != nil {
			return nil, err
		}
		out = append(out, fleet.Run)
	}
	if s.cfg.EnableAgent {
		out = append(out, s.runAgent)
	}
	return out, nil
}

// hollowClient is the hollow nodes' client: its own rate limit, as
// much as n separate kubelets have (Kubernetes' kubelet default: 50 QPS,
// burst 100), so their leases and pod writes neither starve nor slow the
// scheduler and controllers.
func hollowClient(cfg *rest.Config, n int) (kubernetes.Interface, error) {
	hc := rest.CopyConfig(cfg)
	hc.QPS, hc.Burst = float32(50*n), 100*n
	return kubernetes.NewForConfig(hc)
}

// identity names this server in leader elections.
func (s *Server) identity() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s_%s_%d", host, s.advertise(), s.cfg.SecurePort)
}

// signingOptions are the controller options with the cluster CA as the
// CSR signer unless another was given, as k3s passes its CA to
// --cluster-signing-cert-file and --cluster-signing-key-file.
func (s *Server) signingOptions() controllerctx.Options {
	o := s.cfg.ControllerOptions
	if o.ClusterSigningCertFile == "" && o.ClusterSigningKeyFile == "" {
		dir := filepath.Join(s.cfg.DataDir, "tls")
		o.ClusterSigningCertFile, o.ClusterSigningKeyFile = filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	}
	return o
}
