// Package etcd runs the embedded etcd member a single skiff server stores
// its state in, or connects to an external etcd cluster.
package etcd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"
	"go.uber.org/zap"
)

// Config says where etcd keeps its data and where it listens.
type Config struct {
	// DataDir holds the member's WAL and snapshots.
	DataDir string
	// ClientURL is where other processes (etcdctl, other servers) reach the
	// member; the server itself uses an in-process client. Default
	// http://127.0.0.1:2379.
	ClientURL string
	// PeerURL is the raft peer address. Default http://127.0.0.1:2380.
	PeerURL string
	// QuotaBytes is the backend size limit; 0 means etcd's default (2 GiB).
	QuotaBytes int64
}

// Embedded is a running embedded etcd member.
type Embedded struct {
	etcd   *embed.Etcd
	Client *clientv3.Client
}

// Start starts the member and waits until it serves. Close stops it.
func Start(ctx context.Context, cfg Config, log *slog.Logger) (*Embedded, error) {
	ec := embed.NewConfig()
	ec.Name = "skiff"
	ec.Dir = filepath.Clean(cfg.DataDir)
	ec.Logger = "zap"
	ec.LogLevel = "error"
	ec.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	ec.QuotaBackendBytes = cfg.QuotaBytes
	// 3 MiB objects plus envelope: Kubernetes allows 3 MiB request bodies.
	ec.MaxRequestBytes = 4 << 20
	// Compaction is done by the API server's compactor, as Kubernetes does.
	ec.AutoCompactionRetention = "0"
	client := defaultString(cfg.ClientURL, "http://127.0.0.1:2379")
	peer := defaultString(cfg.PeerURL, "http://127.0.0.1:2380")
	cu, err := url.Parse(client)
	if err != nil {
		return nil, fmt.Errorf("etcd client url: %w", err)
	}
	pu, err := url.Parse(peer)
	if err != nil {
		return nil, fmt.Errorf("etcd peer url: %w", err)
	}
	ec.ListenClientUrls, ec.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	ec.ListenPeerUrls, ec.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	ec.InitialCluster = ec.InitialClusterFromName(ec.Name)

	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, fmt.Errorf("start etcd: %w", err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("etcd: %w", err)
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, errors.New("etcd did not become ready within 60s")
	case <-ctx.Done():
		e.Close()
		return nil, ctx.Err()
	}
	log.Info("embedded etcd ready", "dir", ec.Dir, "client", client)
	return &Embedded{etcd: e, Client: v3client.New(e.Server)}, nil
}

// Err reports a fatal error of the running member.
func (e *Embedded) Err() <-chan error { return e.etcd.Err() }

// Close stops the member, flushing what it acknowledged.
func (e *Embedded) Close() {
	e.Client.Close()
	e.etcd.Close()
}

// Sizes returns the backend's size on disk and the part in use.
func (e *Embedded) Sizes(context.Context) (int64, int64, error) {
	b := e.etcd.Server.Backend()
	return b.Size(), b.SizeInUse(), nil
}

// Defrag rewrites the backend to give free pages back to the disk.
func (e *Embedded) Defrag(context.Context) error {
	return e.etcd.Server.Backend().Defrag()
}

func defaultString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
