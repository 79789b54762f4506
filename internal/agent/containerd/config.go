// Package containerd writes a containerd configuration for one skiff node
// and runs containerd as the agent's child process.
package containerd

import (
	"bytes"
	"fmt"
	"path/filepath"
	"text/template"
)

// Config says where one node's containerd keeps its files and how its CRI
// plugin is set up. Every path is the node's own, so that several nodes
// can share a machine.
type Config struct {
	// Dir holds the config, root, state, socket, runc root and log
	// (<data-dir>/containerd). Required.
	Dir string
	// SandboxImage is the pause image's tag; it must be imported, or CRI
	// tries to pull it. Required.
	SandboxImage string
	// CNIConfDir is where the node's conflist is; it must exist before
	// containerd starts. Required.
	CNIConfDir string
	// CNIBinDir holds the CNI plugins. Default /usr/lib/cni (Debian).
	CNIBinDir string
	// Binary is the containerd executable. Default "containerd" on PATH.
	Binary string
}

func (c *Config) setDefaults() error {
	if c.Dir == "" || c.SandboxImage == "" || c.CNIConfDir == "" {
		return fmt.Errorf("containerd: Dir, SandboxImage and CNIConfDir are required")
	}
	if c.CNIBinDir == "" {
		c.CNIBinDir = "/usr/lib/cni"
	}
	if c.Binary == "" {
		c.Binary = "containerd"
	}
	return nil
}

// Socket is the path of the node's containerd gRPC (and CRI) socket.
func (c Config) Socket() string { return filepath.Join(c.Dir, "containerd.sock") }

func (c *Config) configPath() string { return filepath.Join(c.Dir, "config.toml") }

// configTemplate is containerd 1.6's version 2 format. The settings that
// matter on skiff's machines (see RUNTIME-NOTES): restrict_oom_score_adj
// (root lacks CAP_SYS_RESOURCE), a never-pulled sandbox image, the
// cgroupfs driver (no systemd), Debian's CNI bin dir.
var configTemplate = template.Must(template.New("config.toml").Parse(`# Written by the skiff agent at every start; edits are lost.
version = 2
root = "{{.Dir}}/root"
state = "{{.Dir}}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = "{{.Dir}}/containerd.sock"

[ttrpc]
  address = "{{.Dir}}/containerd.sock.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "{{.Dir}}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{{.SandboxImage}}"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "{{.Dir}}/runc"

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{{.CNIBinDir}}"
    conf_dir = "{{.CNIConfDir}}"
    max_conf_num = 1
`))

// Render returns the containerd config file for c.
func (c Config) Render() ([]byte, error) {
	if err := c.setDefaults(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := configTemplate.Execute(&b, c); err != nil {
		return nil, fmt.Errorf("render containerd config: %w", err)
	}
	return b.Bytes(), nil
}
