package etcd

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// TLS names the client credentials for an external etcd cluster.
type TLS struct {
	CAFile, CertFile, KeyFile string
}

// Connect opens a client to an external etcd cluster and checks that it
// answers.
func Connect(ctx context.Context, endpoints []string, tlsFiles TLS) (*clientv3.Client, error) {
	cfg := clientv3.Config{
		Endpoints:          endpoints,
		DialTimeout:        10 * time.Second,
		Logger:             zap.NewNop(),
		MaxCallSendMsgSize: 4 << 20,
	}
	if tlsFiles.CAFile != "" || tlsFiles.CertFile != "" {
		info := transport.TLSInfo{TrustedCAFile: tlsFiles.CAFile, CertFile: tlsFiles.CertFile, KeyFile: tlsFiles.KeyFile}
		tc, err := info.ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("etcd tls: %w", err)
		}
		cfg.TLS = tc
	}
	c, err := clientv3.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("etcd client: %w", err)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := c.Get(sctx, "health-check"); err != nil {
		c.Close()
		return nil, fmt.Errorf("etcd %v: %w", endpoints, err)
	}
	return c, nil
}
