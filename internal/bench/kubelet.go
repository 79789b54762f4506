package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/skiff-sh/skiff/internal/cri"
)

// KubeletOptions size the node benchmark.
type KubeletOptions struct {
	Pods    int           // floor sandboxes and sequential pods
	Batch   int           // pods created at once, then kept for the idle footprint
	Idle    time.Duration // each idle footprint window
	Binary  string        // skiff executable for the server and the agent; empty: this one
	DataDir string        // empty: a temporary directory
	Timeout time.Duration // the whole run; 0: none
}

// DefaultKubeletOptions are the issue's: 100 pods, a batch of 30, 30 s
// idle windows.
func DefaultKubeletOptions() KubeletOptions {
	return KubeletOptions{Pods: 100, Batch: 30, Idle: 30 * time.Second, Timeout: 30 * time.Minute}
}

// RunKubelet starts `skiff server` and a node agent as two child
// processes, measures the CRI floor, pod startup one at a time and in a
// batch, and the agent's idle footprint with no pods and with the batch
// running; it removes every pod, sandbox and host change it made.
func RunKubelet(ctx context.Context, opts KubeletOptions, out io.Writer) (*KubeletReport, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("bench kubelet: needs root (containerd, cgroups, CNI); see skiff check")
	}
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	dir, removeDir, err := workDir(opts.DataDir, "skiff-bench-kubelet")
	if err != nil {
		return nil, err
	}
	defer removeDir()
	for _, sub := range []string{"server", "node"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, err
		}
	}
	p, err := newServerProc(filepath.Join(dir, "server"))
	if err != nil {
		return nil, err
	}
	p.bin = opts.Binary
	p.extraArgs = []string{"--service-cidr", kbServiceCIDR}
	fmt.Fprintln(out, "starting skiff server ...")
	if _, err := p.start(ctx); err != nil {
		return nil, err
	}
	defer p.stop()
	client, err := p.client()
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(out, "starting the node agent ...")
	nodeDir := filepath.Join(dir, "node")
	node, err := startNode(opts.Binary, filepath.Join(p.dataDir, "admin.kubeconfig"), nodeDir)
	if err != nil {
		return nil, err
	}
	defer node.stop()
	if err := waitNodesReady(ctx, client, 1, out); err != nil {
		return nil, errors.Join(err, node.exited())
	}
	socket := containerdSocket(nodeDir)
	rt, err := cri.Dial(ctx, socket)
	if err != nil {
		return nil, err
	}
	defer rt.Close()
	// Clean up even after a timeout: pods first, so the kubelet makes no
	// more sandboxes, then whatever sandboxes are left.
	cleanupCtx := context.WithoutCancel(ctx)
	defer removeSandboxes(cleanupCtx, rt, nil)
	defer deletePods(cleanupCtx, client, rt, out)
	ctrd, err := childPID(node.cmd.Process.Pid, "containerd")
	if err != nil {
		return nil, err
	}
	run := kubeletRun{opts: opts, client: client, rt: rt, nodeDir: nodeDir, socket: socket,
		agentPID: node.cmd.Process.Pid, containerdPID: ctrd, out: out}
	r := &KubeletReport{BatchSize: opts.Batch}
	return r, run.phases(ctx, r)
}

// kubeletRun is what the benchmark's phases share.
type kubeletRun struct {
	opts                    KubeletOptions
	client                  kubernetes.Interface
	rt                      *cri.Client
	nodeDir, socket         string
	agentPID, containerdPID int
	out                     io.Writer
}

// phases fills r in order: idle with no pods, the floor, sequential
// pods, the batch, idle with the batch running.
func (k *kubeletRun) phases(ctx context.Context, r *KubeletReport) error {
	f, err := k.idleFootprint(ctx, 0)
	if err != nil {
		return err
	}
	r.Idle = append(r.Idle, f)
	fmt.Fprintf(k.out, "CRI floor: %d sandboxes ...\n", k.opts.Pods)
	floor, err := criFloor(ctx, k.rt, k.nodeDir, k.opts.Pods, k.out)
	if err != nil {
		return err
	}
	r.Floor = latencyOf(floor)
	w, err := k.prepareNamespace(ctx)
	if err != nil {
		return err
	}
	defer w.stop()
	fmt.Fprintf(k.out, "kubelet: %d pods one at a time ...\n", k.opts.Pods)
	seq, err := startPods(ctx, k.client, w, "seq", k.opts.Pods, 1, k.out)
	if err != nil {
		return err
	}
	r.Sequential = latencyOf(seq)
	r.Ratio = r.Sequential.P99Ms / r.Floor.P99Ms
	if err := deletePods(ctx, k.client, k.rt, k.out); err != nil {
		return err
	}
	fmt.Fprintf(k.out, "kubelet: %d pods at once ...\n", k.opts.Batch)
	batch, err := startPods(ctx, k.client, w, "batch", k.opts.Batch, k.opts.Batch, k.out)
	if err != nil {
		return err
	}
	r.Batch = latencyOf(batch)
	f, err = k.idleFootprint(ctx, k.opts.Batch)
	r.Idle = append(r.Idle, f)
	return err
}

// prepareNamespace creates the pods' namespace, waits for its default
// service account (admission mounts its token into every pod) and starts
// the watch that times the pods.
func (k *kubeletRun) prepareNamespace(ctx context.Context) (*runningWatch, error) {
	if err := ensureNamespace(ctx, k.client, kbNamespace); err != nil {
		return nil, err
	}
	err := poll(ctx, 200*time.Millisecond, k.out, func() (bool, string, error) {
		_, err := k.client.CoreV1().ServiceAccounts(kbNamespace).Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, "waiting for the default service account", nil
		}
		return err == nil, "", err
	})
	if err != nil {
		return nil, err
	}
	return startRunningWatch(ctx, k.client)
}
