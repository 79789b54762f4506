// Package kubelet is skiff's node agent core: it registers the node,
// renews its Lease, and runs the pods bound to it through a CRI runtime,
// reporting their status: probes, lifecycle hooks, env and volumes
// included. Its HTTPS server streams logs, exec, attach and
// port-forward for the API server. It collects dead containers and
// unused images and evicts pods under memory or disk pressure.
package kubelet

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"

	"github.com/skiff-sh/skiff/internal/cri"
	"github.com/skiff-sh/skiff/internal/kubelet/prober"
	"github.com/skiff-sh/skiff/internal/network"
)

// Config is what a Kubelet needs; zero values take the documented
// defaults.
type Config struct {
	// NodeName is the Node this kubelet registers and serves. Required.
	NodeName string
	// Client talks to the API server. Required.
	Client kubernetes.Interface
	// Runtime is the CRI endpoint. Required.
	Runtime *cri.Client
	// NodeIP is the node's InternalIP. Default: first non-loopback IPv4.
	NodeIP string
	// Labels are extra node labels.
	Labels map[string]string
	// Capacity, when set, is reported as the node's capacity and
	// allocatable instead of the machine's (hollow nodes).
	Capacity corev1.ResourceList
	// Pods, when set, is a pod informer shared by the kubelets of this
	// process (its lister holds every node's pods); otherwise the kubelet
	// watches its node's pods itself.
	Pods *SharedPods
	// Recorder, when set, records the kubelet's events; otherwise the
	// kubelet runs its own event broadcaster.
	Recorder record.EventRecorder
	// PodDial, when set, opens the connections of httpGet, tcpSocket and
	// grpc probes and hooks; hollow nodes, whose pod IPs exist nowhere,
	// refuse them so that nothing is sent off the machine.
	PodDial func(ctx context.Context, network, addr string) (net.Conn, error)
	// LogRoot holds pod log directories. Default /var/log/pods.
	LogRoot string
	// CgroupRoot is the cgroupfs parent of every pod's cgroup. Default
	// "/skiff/<NodeName>".
	CgroupRoot string
	// DataDir is the filesystem whose size is the node's
	// ephemeral-storage capacity and whose free space decides
	// DiskPressure. Required.
	DataDir string
	// RootDir holds the kubelet's pod directories (volumes). Default
	// <DataDir>/kubelet.
	RootDir string
	// RootCA is the cluster CA (PEM), served to pods as ca.crt of the
	// kube-root-ca.crt ConfigMap when the API has none.
	RootCA []byte
	// ResolvConf is the host's resolver configuration, which pods with
	// dnsPolicy Default get. Default /etc/resolv.conf.
	ResolvConf string
	// ClusterDNS are the cluster DNS servers of dnsPolicy ClusterFirst
	// pods; empty gives every pod the host's resolvers.
	ClusterDNS []string
	// ClusterDomain is the cluster's DNS suffix. Default cluster.local.
	ClusterDomain string
	// RelistPeriod is how often the runtime is listed to notice container
	// changes. Default 1s.
	RelistPeriod time.Duration
	// LeasePeriod is how often the node Lease is renewed. Default 10s.
	LeasePeriod time.Duration
	// StatusPeriod is how often node status is reported. Default 1m.
	StatusPeriod time.Duration
	// VolumeResyncPeriod is how often each running pod is synced again,
	// rewriting its configMap, secret, downwardAPI and projected volumes
	// whose content changed (Kubernetes' syncFrequency). Default 1m.
	VolumeResyncPeriod time.Duration
	// ServerAddr is where the kubelet API (logs, exec, attach,
	// port-forward) listens over HTTPS, e.g. ":10250"; "" or "0"
	// disables it. Clients need a certificate signed by RootCA.
	ServerAddr string
	// TLSCertFile and TLSKeyFile are the server's certificate; without
	// them it serves one self-signed for NodeName and NodeIP.
	TLSCertFile, TLSKeyFile string
	// GC is container and image garbage collection.
	GC GCPolicy
	// Eviction is the eviction manager's thresholds and periods.
	Eviction EvictionPolicy
	Log      *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

func (c *Config) setDefaults() error {
	if c.NodeName == "" || c.Client == nil || c.Runtime == nil || c.DataDir == "" {
		return fmt.Errorf("kubelet: NodeName, Client, Runtime and DataDir are required")
	}
	if c.serverEnabled() && len(c.RootCA) == 0 {
		return fmt.Errorf("kubelet: the server on %s needs RootCA to check clients", c.ServerAddr)
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.NodeIP, network.HostIPv4())
	def(&c.LogRoot, "/var/log/pods")
	def(&c.CgroupRoot, "/skiff/"+c.NodeName)
	def(&c.ResolvConf, "/etc/resolv.conf")
	def(&c.ClusterDomain, "cluster.local")
	def(&c.RootDir, filepath.Join(c.DataDir, "kubelet"))
	dur := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	dur(&c.RelistPeriod, time.Second)
	dur(&c.LeasePeriod, 10*time.Second)
	dur(&c.StatusPeriod, time.Minute)
	dur(&c.VolumeResyncPeriod, time.Minute)
	if err := c.GC.setDefaults(); err != nil {
		return err
	}
	c.Eviction.setDefaults()
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Kubelet runs one node's pods. New validates its config and starts
// nothing; Run blocks until ctx ends and returns nil then, having waited
// for every pod worker. Pods keep running when the kubelet stops.
type Kubelet struct {
	cfg     Config
	log     *slog.Logger
	pods    corelisters.PodLister
	backoff *backoff
	probes  probeResults
	tokens  *tokenCache
	// recorder emits events; set by Run before any worker starts.
	recorder record.EventRecorder

	mu      sync.Mutex
	workers map[types.UID]*worker
	wg      sync.WaitGroup
	// runtimeVersion is "containerd://1.6.20", set by register.
	runtimeVersion string
	// serverPort is the kubelet server's port, set before register.
	serverPort int32
	// podCIDR is the pod range last given to the runtime; owned by
	// register, then by the status loop.
	podCIDR string
	// eviction is the eviction manager's pressure and pending evictions.
	eviction evictionState
	// images are image GC's records of when images were last used.
	images imageRecords
}

// New returns a kubelet for cfg.
func New(cfg Config) (*Kubelet, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	return &Kubelet{cfg: cfg, log: cfg.Log, backoff: newBackoff(cfg.Now), probes: probeResults{results: map[probeKey]prober.Result{}}, tokens: newTokenCache(cfg.Now), workers: map[types.UID]*worker{}}, nil
}

// Run registers the node, then watches its pods and the runtime.
func (k *Kubelet) Run(ctx context.Context) error {
	ln, err := k.listenServer()
	if err != nil {
		return err
	}
	if ln != nil {
		defer ln.Close()
	}
	if err := k.register(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	k.recorder = k.cfg.Recorder
	if k.recorder == nil {
		broadcaster := record.NewBroadcaster(record.WithContext(ctx))
		defer broadcaster.Shutdown()
		broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: k.cfg.Client.CoreV1().Events("")})
		k.recorder = broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: "kubelet", Host: k.cfg.NodeName})
	}
	synced, stop, err := k.watchPods(ctx)
	if err != nil {
		return err
	}
	defer stop()
	if !cache.WaitForCacheSync(ctx.Done(), synced) {
		return nil
	}
	k.log.Info("kubelet running", "node", k.cfg.NodeName, "runtime", k.runtimeVersion)
	var wg sync.WaitGroup
	wg.Go(func() { k.leaseLoop(ctx) })
	wg.Go(func() { k.statusLoop(ctx) })
	wg.Go(func() { k.relistLoop(ctx) })
	wg.Go(func() { k.gcLoop(ctx) })
	wg.Go(func() { k.evictionLoop(ctx) })
	if ln != nil {
		wg.Go(func() {
			if err := k.serve(ctx, ln); err != nil {
				k.log.Error("kubelet server", "err", err)
			}
		})
	}
	wg.Wait()
	k.wg.Wait()
	return nil
}

// watchPods feeds the node's pods to their workers, from the shared
// informer or from one of its own; it returns when the pods are synced
// and how to stop.
func (k *Kubelet) watchPods(ctx context.Context) (cache.InformerSynced, func(), error) {
	handle := func(obj any) { k.enqueueObj(ctx, obj) }
	if p := k.cfg.Pods; p != nil {
		k.pods = p.lister
		return p.informer.HasSynced, p.subscribe(k.cfg.NodeName, handle), nil
	}
	factory := informers.NewSharedInformerFactoryWithOptions(k.cfg.Client, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", k.cfg.NodeName).String()
	}))
	inf := factory.Core().V1().Pods()
	k.pods = inf.Lister()
	if _, err := inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    handle,
		UpdateFunc: func(_, obj any) { handle(obj) },
		DeleteFunc: handle,
	}); err != nil {
		return nil, nil, err
	}
	factory.Start(ctx.Done())
	return inf.Informer().HasSynced, factory.Shutdown, nil
}

// enqueueObj wakes the worker of an informer's pod.
func (k *Kubelet) enqueueObj(ctx context.Context, obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	if pod, ok := obj.(*corev1.Pod); ok {
		k.enqueue(ctx, podRef{uid: pod.UID, namespace: pod.Namespace, name: pod.Name})
	}
}
