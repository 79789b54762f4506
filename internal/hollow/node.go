package hollow

import (
	"net/netip"
	"runtime"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// nodeAddressBase is where hollow nodes' InternalIPs come from: the
// benchmarking range 198.18.0.0/15, which no real network routes.
var nodeAddressBase = netip.MustParseAddr("198.18.0.0")

// nodeObject is the Node a hollow node registers, status included.
func (f *Fleet) nodeObject(i int) *corev1.Node {
	name := f.name(i)
	labels := map[string]string{
		corev1.LabelHostname: name, corev1.LabelOSStable: "linux", corev1.LabelArchStable: runtime.GOARCH,
		"skiff.dev/hollow": "true",
	}
	if len(f.cfg.Zones) > 0 {
		labels[corev1.LabelTopologyZone] = f.cfg.Zones[i%len(f.cfg.Zones)]
	}
	for k, v := range f.cfg.Labels {
		labels[k] = v
	}
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:              resource.MustParse(f.cfg.CPU),
		corev1.ResourceMemory:           resource.MustParse(f.cfg.Memory),
		corev1.ResourcePods:             *resource.NewQuantity(int64(f.cfg.Pods), resource.DecimalSI),
		corev1.ResourceEphemeralStorage: resource.MustParse("100Gi"),
	}
	now := metav1.Now()
	cond := func(t corev1.NodeConditionType, st corev1.ConditionStatus, reason, msg string) corev1.NodeCondition {
		return corev1.NodeCondition{Type: t, Status: st, Reason: reason, Message: msg, LastHeartbeatTime: now, LastTransitionTime: now}
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Status: corev1.NodeStatus{
			Capacity: capacity, Allocatable: capacity,
			Phase: corev1.NodeRunning,
			Conditions: []corev1.NodeCondition{
				cond(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
				cond(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
				cond(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
				cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", "hollow kubelet is posting ready status"),
			},
			Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: nodeIP(i)},
				{Type: corev1.NodeHostName, Address: name},
			},
			NodeInfo: corev1.NodeSystemInfo{
				KubeletVersion: "v1.37.2-skiff-hollow", ContainerRuntimeVersion: "hollow://0",
				OperatingSystem: "linux", Architecture: runtime.GOARCH, OSImage: "hollow", KernelVersion: "hollow",
				MachineID: "hollow-" + strconv.Itoa(i), SystemUUID: "hollow-" + strconv.Itoa(i), BootID: "hollow-" + strconv.Itoa(i),
			},
		},
	}
}

// nodeIP is node i's InternalIP.
func nodeIP(i int) string { return addAddr(nodeAddressBase, uint32(i)+1).String() }

// fallbackCIDR is node i's pod range until node IPAM gives it one:
// 100.64.0.0/10 cut into /24s (shared address space, never routed here).
func fallbackCIDR(i int) netip.Prefix {
	return netip.PrefixFrom(addAddr(netip.MustParseAddr("100.64.0.0"), uint32(i%16384)<<8), 24)
}

func addAddr(a netip.Addr, n uint32) netip.Addr {
	b := a.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v += n
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// podIP hands out the next address of the node's pod range.
func (n *nodeState) podIP(podCIDR string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if p, err := netip.ParsePrefix(podCIDR); err == nil && p.Addr().Is4() && p != n.cidr {
		n.cidr, n.next = p.Masked(), 0
	}
	size := uint32(1) << (32 - n.cidr.Bits())
	n.next++
	// Skip the network and broadcast addresses.
	return addAddr(n.cidr.Addr(), 1+(n.next-1)%(size-2)).String()
}
