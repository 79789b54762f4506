package kubelet

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// KubeletVersion is what the node reports as its kubelet version.
const KubeletVersion = "v1.37.2-skiff"

// pidsAvailableMin is the fraction of kernel.pid_max below which the
// node reports PIDPressure; memory and disk pressure are the eviction
// manager's.
const pidsAvailableMin = 0.10

// register creates the node or refreshes its labels and status, retrying
// until it succeeds or ctx ends.
func (k *Kubelet) register(ctx context.Context) error {
	v, err := k.cfg.Runtime.Version(ctx, &runtimeapi.VersionRequest{})
	if err != nil {
		return fmt.Errorf("runtime version: %w", err)
	}
	k.runtimeVersion = v.RuntimeName + "://" + v.RuntimeVersion
	for {
		err := k.registerOnce(ctx)
		if err == nil {
			return nil
		}
		k.log.Warn("register node", "node", k.cfg.NodeName, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

func (k *Kubelet) registerOnce(ctx context.Context) error {
	nodes := k.cfg.Client.CoreV1().Nodes()
	node, err := nodes.Get(ctx, k.cfg.NodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		node = &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: k.cfg.NodeName}}
		node.Labels = k.nodeLabels(nil)
		if node, err = nodes.Create(ctx, node, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create node: %w", err)
		}
		k.log.Info("node registered", "node", k.cfg.NodeName)
	} else if err != nil {
		return fmt.Errorf("get node: %w", err)
	} else {
		node.Labels = k.nodeLabels(node.Labels)
		if node, err = nodes.Update(ctx, node, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("update node labels: %w", err)
		}
	}
	if err := k.ensureCSINode(ctx, node); err != nil {
		return err
	}
	return k.updateNodeStatus(ctx, node)
}

func (k *Kubelet) nodeLabels(have map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range have {
		out[k] = v
	}
	out[corev1.LabelHostname] = k.cfg.NodeName
	out[corev1.LabelOSStable] = runtime.GOOS
	out[corev1.LabelArchStable] = runtime.GOARCH
	for key, v := range k.cfg.Labels {
		out[key] = v
	}
	return out
}

// statusLoop reports node status every StatusPeriod.
func (k *Kubelet) statusLoop(ctx context.Context) {
	t := time.NewTicker(k.cfg.StatusPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := k.syncNodeStatus(ctx); err != nil && ctx.Err() == nil {
			k.log.Warn("node status", "node", k.cfg.NodeName, "err", err)
		}
	}
}

// syncNodeStatus reads the node and reports its status now.
func (k *Kubelet) syncNodeStatus(ctx context.Context) error {
	node, err := k.cfg.Client.CoreV1().Nodes().Get(ctx, k.cfg.NodeName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get node: %w", err)
	}
	return k.updateNodeStatus(ctx, node)
}

func (k *Kubelet) updateNodeStatus(ctx context.Context, node *corev1.Node) error {
	k.updatePodCIDR(ctx, node.Spec.PodCIDR)
	node = node.DeepCopy()
	k.setNodeStatus(ctx, &node.Status)
	if _, err := k.cfg.Client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update node status: %w", err)
	}
	return nil
}

// updatePodCIDR tells the runtime the node's pod range once node IPAM
// has set it, as Kubernetes' kubelet does; a failure is retried at the
// next status update.
func (k *Kubelet) updatePodCIDR(ctx context.Context, cidr string) {
	if cidr == "" || cidr == k.podCIDR {
		return
	}
	req := &runtimeapi.UpdateRuntimeConfigRequest{RuntimeConfig: &runtimeapi.RuntimeConfig{NetworkConfig: &runtimeapi.NetworkConfig{PodCidr: cidr}}}
	if _, err := k.cfg.Runtime.UpdateRuntimeConfig(ctx, req); err != nil {
		k.log.Warn("update runtime pod CIDR", "node", k.cfg.NodeName, "cidr", cidr, "err", err)
		return
	}
	k.podCIDR = cidr
}

// capacity is the node's cpu, memory, ephemeral storage and pods; with
// no reservations it is also what is allocatable.
func (k *Kubelet) capacity() corev1.ResourceList {
	if k.cfg.Capacity != nil {
		return k.cfg.Capacity.DeepCopy()
	}
	var fs syscall.Statfs_t
	_ = syscall.Statfs(k.cfg.DataDir, &fs)
	return corev1.ResourceList{
		corev1.ResourceCPU:              *resource.NewQuantity(int64(runtime.NumCPU()), resource.DecimalSI),
		corev1.ResourceMemory:           *resource.NewQuantity(meminfo()["MemTotal"], resource.BinarySI),
		corev1.ResourceEphemeralStorage: *resource.NewQuantity(int64(fs.Blocks)*fs.Bsize, resource.BinarySI),
		corev1.ResourcePods:             *resource.NewQuantity(110, resource.DecimalSI),
	}
}

// setNodeStatus fills capacity, addresses, node info and conditions from
// the machine and the runtime.
func (k *Kubelet) setNodeStatus(ctx context.Context, st *corev1.NodeStatus) {
	capacity := k.capacity()
	st.Capacity, st.Allocatable = capacity, capacity.DeepCopy()
	st.Phase = corev1.NodeRunning
	st.DaemonEndpoints.KubeletEndpoint.Port = k.serverPort
	st.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: k.cfg.NodeIP}, {Type: corev1.NodeHostName, Address: k.cfg.NodeName}}
	// A node with a configured capacity (hollow) is not this machine, so
	// it does not report the machine's hostname.
	if hostname, _ := os.Hostname(); hostname != "" && hostname != k.cfg.NodeName && k.cfg.Capacity == nil {
		st.Addresses = append(st.Addresses, corev1.NodeAddress{Type: corev1.NodeHostName, Address: hostname})
	}
	var uts syscall.Utsname
	_ = syscall.Uname(&uts)
	st.NodeInfo = corev1.NodeSystemInfo{
		KubeletVersion: KubeletVersion, ContainerRuntimeVersion: k.runtimeVersion,
		OperatingSystem: runtime.GOOS, Architecture: runtime.GOARCH,
		OSImage: osImage(), KernelVersion: utsString(uts.Release[:]),
		MachineID: readTrim("/etc/machine-id"), BootID: readTrim("/proc/sys/kernel/random/boot_id"),
	}
	memPressure, diskPressure := k.eviction.pressure(k.cfg.Now(), k.cfg.Eviction.PressureTransitionPeriod)
	ready, msg := k.runtimeReady(ctx)
	now := metav1.NewTime(k.cfg.Now())
	setNodeCondition(st, now, corev1.NodeMemoryPressure, memPressure,
		conditionText{"KubeletHasInsufficientMemory", "kubelet has insufficient memory available"}, conditionText{"KubeletHasSufficientMemory", "kubelet has sufficient memory available"})
	setNodeCondition(st, now, corev1.NodeDiskPressure, diskPressure,
		conditionText{"KubeletHasDiskPressure", "kubelet has disk pressure"}, conditionText{"KubeletHasNoDiskPressure", "kubelet has no disk pressure"})
	setNodeCondition(st, now, corev1.NodePIDPressure, pidPressure(),
		conditionText{"KubeletHasInsufficientPID", "kubelet has insufficient PID available"}, conditionText{"KubeletHasSufficientPID", "kubelet has sufficient PID available"})
	setNodeCondition(st, now, corev1.NodeReady, ready, conditionText{"KubeletReady", "kubelet is posting ready status"}, conditionText{"KubeletNotReady", msg})
}

// conditionText is a node condition's reason and message.
type conditionText struct{ reason, message string }

// setNodeCondition sets one condition, worded by whenTrue or whenFalse.
func setNodeCondition(st *corev1.NodeStatus, now metav1.Time, t corev1.NodeConditionType, on bool, whenTrue, whenFalse conditionText) {
	c := corev1.NodeCondition{Type: t, Status: corev1.ConditionFalse, Reason: whenFalse.reason, Message: whenFalse.message, LastHeartbeatTime: now, LastTransitionTime: now}
	if on {
		c.Status, c.Reason, c.Message = corev1.ConditionTrue, whenTrue.reason, whenTrue.message
	}
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			if st.Conditions[i].Status == c.Status {
				c.LastTransitionTime = st.Conditions[i].LastTransitionTime
			}
			st.Conditions[i] = c
			return
		}
	}
	st.Conditions = append(st.Conditions, c)
}

// runtimeReady asks CRI whether the runtime and the pod network are up.
func (k *Kubelet) runtimeReady(ctx context.Context) (bool, string) {
	st, err := k.cfg.Runtime.Status(ctx, &runtimeapi.StatusRequest{})
	if err != nil {
		return false, "container runtime is down: " + err.Error()
	}
	for _, c := range st.GetStatus().GetConditions() {
		if !c.Status {
			return false, fmt.Sprintf("container runtime not ready: %s=false reason:%s message:%s", c.Type, c.Reason, c.Message)
		}
	}
	return true, ""
}

// leaseLoop renews kube-node-lease/<node> every LeasePeriod.
func (k *Kubelet) leaseLoop(ctx context.Context) {
	for {
		if err := k.renewLease(ctx); err != nil && ctx.Err() == nil {
			k.log.Warn("renew lease", "node", k.cfg.NodeName, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(k.cfg.LeasePeriod):
		}
	}
}

func (k *Kubelet) renewLease(ctx context.Context) error {
	leases := k.cfg.Client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	now := metav1.NewMicroTime(k.cfg.Now())
	duration := int32(40)
	l, err := leases.Get(ctx, k.cfg.NodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		l = &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: k.cfg.NodeName, Namespace: corev1.NamespaceNodeLease}}
		l.Spec = coordinationv1.LeaseSpec{HolderIdentity: &k.cfg.NodeName, LeaseDurationSeconds: &duration, RenewTime: &now}
		_, err = leases.Create(ctx, l, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	l.Spec.HolderIdentity, l.Spec.LeaseDurationSeconds, l.Spec.RenewTime = &k.cfg.NodeName, &duration, &now
	_, err = leases.Update(ctx, l, metav1.UpdateOptions{})
	return err
}

// meminfo returns /proc/meminfo in bytes.
func meminfo() map[string]int64 {
	out := map[string]int64{}
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 2 {
			v, _ := strconv.ParseInt(fs[1], 10, 64)
			out[strings.TrimSuffix(fs[0], ":")] = v * 1024
		}
	}
	return out
}

// pidPressure compares the threads in use (/proc/loadavg) to pid_max.
func pidPressure() bool {
	fs := strings.Fields(readTrim("/proc/loadavg"))
	max, _ := strconv.Atoi(readTrim("/proc/sys/kernel/pid_max"))
	if len(fs) < 4 || max == 0 {
		return false
	}
	_, total, _ := strings.Cut(fs[3], "/")
	n, _ := strconv.Atoi(total)
	return float64(max-n)/float64(max) < pidsAvailableMin
}

func osImage() string {
	f, err := os.Open("/etc/os-release")
	if err != nil {
		return runtime.GOOS
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return runtime.GOOS
}

func readTrim(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}

func utsString(b []int8) string {
	var s []byte
	for _, c := range b {
		if c == 0 {
			break
		}
		s = append(s, byte(c))
	}
	return string(s)
}
