package server

import (
	"context"

	"github.com/skiff-sh/skiff/internal/agent"
)

// runAgent runs this machine's node agent over the loopback client, with
// its containerd and images under the server's data directory.
func (s *Server) runAgent(ctx context.Context) error {
	a, err := agent.New(agent.Config{REST: s.loopbackConfig(), DataDir: s.cfg.DataDir, NodeIP: s.advertise(), Log: s.log.With("component", "agent")})
	if err != nil {
		return err
	}
	return a.Run(ctx)
}
