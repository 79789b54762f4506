package hollow

import (
	"net/netip"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// nodeAddressBase is where hollow nodes' InternalIPs come from: loopback
// addresses (127.18.0.0/16 and up), so that the API server's requests to
// a hollow kubelet (logs, exec, stats) never leave the machine; nothing
// listens there for them, and they fail at once.
var nodeAddressBase = netip.MustParseAddr("127.18.0.0")

// labels are node i's labels besides the kubelet's own.
func (f *Fleet) labels(i int) map[string]string {
	labels := map[string]string{"skiff.dev/hollow": "true"}
	if len(f.cfg.Zones) > 0 {
		labels[corev1.LabelTopologyZone] = f.cfg.Zones[i%len(f.cfg.Zones)]
	}
	for k, v := range f.cfg.Labels {
		labels[k] = v
	}
	return labels
}

// capacity is every node's capacity (and allocatable).
func (f *Fleet) capacity() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:              resource.MustParse(f.cfg.CPU),
		corev1.ResourceMemory:           resource.MustParse(f.cfg.Memory),
		corev1.ResourcePods:             *resource.NewQuantity(int64(f.cfg.Pods), resource.DecimalSI),
		corev1.ResourceEphemeralStorage: resource.MustParse("100Gi"),
	}
}

// nodeIP is node i's InternalIP.
func nodeIP(i int) string { return addAddr(nodeAddressBase, uint32(i)+1).String() }

// fallbackCIDR is node i's pod range until node IPAM gives it one:
// 100.64.0.0/10 cut into /24s. Nothing dials them: hollow kubelets refuse
// probe and hook connections (noPodNetwork).
func fallbackCIDR(i int) string {
	return netip.PrefixFrom(addAddr(netip.MustParseAddr("100.64.0.0"), uint32(i%16384)<<8), 24).String()
}

func addAddr(a netip.Addr, n uint32) netip.Addr {
	b := a.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v += n
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// nodeName is node i's name.
func (f *Fleet) nodeName(i int) string { return f.cfg.NamePrefix + strconv.Itoa(i) }
