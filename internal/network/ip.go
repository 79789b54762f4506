package network

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// ipRunner runs iproute2's ip; output returns stdout.
type ipRunner interface {
	run(ctx context.Context, args ...string) error
	output(ctx context.Context, args ...string) ([]byte, error)
}

type execIP struct{}

func (execIP) run(ctx context.Context, args ...string) error {
	_, err := execIP{}.output(ctx, args...)
	return err
}

func (execIP) output(ctx context.Context, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}
