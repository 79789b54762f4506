package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/skiff-sh/skiff/internal/agent/containerd"
	"github.com/skiff-sh/skiff/internal/images"
)

const imagesUsage = `Usage:
  skiff images pause-tar [--pause-binary P] OUT   write skiff's pause image (` + images.Pause + `) as a tarball
  skiff images import [--data-dir D] FILE.tar...  load docker-archive or OCI tarballs into the node's containerd
`

// runImages handles images without a registry.
func runImages(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("a subcommand is required\n%s", imagesUsage)
	}
	switch args[0] {
	case "pause-tar":
		return runPauseTar(args[1:])
	case "import":
		return runImport(ctx, args[1:])
	}
	return fmt.Errorf("unknown subcommand %q\n%s", args[0], imagesUsage)
}

func runPauseTar(args []string) error {
	fs := flag.NewFlagSet("skiff images pause-tar", flag.ContinueOnError)
	pause := fs.String("pause-binary", "", "static pause program (default: skiff-pause beside skiff, else on PATH)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("want one output file")
	}
	bin := *pause
	if bin == "" {
		bin = images.FindPause()
	}
	if bin == "" {
		return errors.New("no skiff-pause found: CGO_ENABLED=0 go build -o /usr/local/bin/skiff-pause ./cmd/pause")
	}
	return images.WritePauseTar(bin, fs.Arg(0))
}

func runImport(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("skiff images import", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "/var/lib/skiff", "the agent's data directory (its containerd socket is <data-dir>/containerd/containerd.sock)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("want at least one tarball")
	}
	sock := containerd.Config{Dir: filepath.Join(*dataDir, "containerd")}.Socket()
	return images.Import(ctx, sock, fs.Args()...)
}
