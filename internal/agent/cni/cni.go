// Package cni writes the node's minimal pod network: one bridge with
// host-local addresses from the node's pod CIDR and portmap for
// hostPorts. It is a stand-in until skiff's networking replaces it; it
// sets up no masquerading and no routes to other nodes.
package cni

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
)

// DefaultPodCIDR is used while the node has no spec.podCIDR yet.
const DefaultPodCIDR = "10.42.0.0/24"

// Network names one node's bridge network. Every field must be unique
// per node on a machine.
type Network struct {
	// Name is the CNI network name. Default "skiff".
	Name string
	// Bridge is the Linux bridge's name (at most 15 bytes). Default "skiff0".
	Bridge string
	// PodCIDR is the node's pod range. Default DefaultPodCIDR.
	PodCIDR string
	// IPAMDir is where host-local records its leases.
	IPAMDir string
}

func (n *Network) setDefaults() error {
	if n.Name == "" {
		n.Name = "skiff"
	}
	if n.Bridge == "" {
		n.Bridge = "skiff0"
	}
	if n.PodCIDR == "" {
		n.PodCIDR = DefaultPodCIDR
	}
	if len(n.Bridge) > 15 {
		return fmt.Errorf("bridge name %q longer than 15 bytes", n.Bridge)
	}
	if n.IPAMDir == "" {
		return fmt.Errorf("cni: IPAMDir is required")
	}
	p, err := netip.ParsePrefix(n.PodCIDR)
	if err != nil || !p.Addr().Is4() {
		return fmt.Errorf("pod CIDR %q: want an IPv4 prefix", n.PodCIDR)
	}
	n.PodCIDR = p.Masked().String()
	return nil
}

// Conflist returns the network's CNI configuration list (cniVersion 1.0.0).
func (n Network) Conflist() ([]byte, error) {
	if err := n.setDefaults(); err != nil {
		return nil, err
	}
	type obj = map[string]any
	conf := obj{
		"cniVersion": "1.0.0",
		"name":       n.Name,
		"plugins": []obj{
			{
				"type": "bridge", "bridge": n.Bridge, "isGateway": true, "ipMasq": false, "hairpinMode": true,
				"ipam": obj{
					"type": "host-local", "dataDir": n.IPAMDir,
					"ranges": [][]obj{{{"subnet": n.PodCIDR}}},
					"routes": []obj{{"dst": "0.0.0.0/0"}},
				},
			},
			{"type": "portmap", "capabilities": obj{"portMappings": true}},
		},
	}
	b, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Write puts the conflist into dir as 10-<name>.conflist, replacing any
// previous one.
func (n Network) Write(dir string) error {
	b, err := n.Conflist()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cni conf dir: %w", err)
	}
	name := n.Name
	if name == "" {
		name = "skiff"
	}
	tmp := filepath.Join(dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write conflist: %w", err)
	}
	return os.Rename(tmp, filepath.Join(dir, "10-"+name+".conflist"))
}
