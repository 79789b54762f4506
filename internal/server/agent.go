package server

import (
	"context"

	"github.com/skiff-sh/skiff/internal/agent"
)

// runAgent runs this machine's node agent over the loopback client, with
// its containerd and images under the server's data directory.
func (s *Server) runAgent(ctx context.Context) error {
	net := s.cfg.AgentNetwork
	net.ClusterCIDR, net.ServiceCIDR = s.cfg.ControllerOptions.ClusterCIDR.String(), s.cfg.ServiceCIDR
	net.ClusterDNS, net.ClusterDomain = s.cfg.ClusterDNS, s.cfg.ClusterDomain
	a, err := agent.New(agent.Config{
		REST: s.loopbackConfig(), DataDir: s.cfg.DataDir, NodeIP: s.advertise(), Network: net,
		KubeletServerAddr: ":10250",
		Log:               s.log.With("component", "agent"),
	})
	if err != nil {
		return err
	}
	return a.Run(ctx)
}
