package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// helmVersion is the Helm 3 release the compatibility test builds.
const helmVersion = "v3.22.0"

// helmFetchTimeout bounds the download of helm and its dependencies: a
// proxy that does not answer in time counts as one that cannot serve helm.
// The compile that follows is left to the package's -timeout.
const helmFetchTimeout = 4 * time.Minute

// helmBinary returns the path of a helm binary built from its Go module.
// It lives in the user cache dir, outside the repository, so later runs
// reuse it; helm never enters the project's go.mod. If the module proxy
// cannot serve helm the test is skipped, since there is nothing to test.
func helmBinary(t *testing.T) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatalf("no cache dir for the helm binary: %v", err)
	}
	dir := filepath.Join(cache, "skiff-helm", helmVersion)
	bin := filepath.Join(dir, "helm")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}

	mod := t.TempDir()
	goCmd := func(ctx context.Context, args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = mod
		// The throwaway module must not see a workspace or vendoring.
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		return cmd.CombinedOutput()
	}
	if out, err := goCmd(context.Background(), "mod", "init", "skiff-helm-build"); err != nil {
		t.Fatalf("go mod init: %v\n%s", err, out)
	}
	// go get of the command package downloads every module its build needs.
	fetch, cancel := context.WithTimeout(context.Background(), helmFetchTimeout)
	defer cancel()
	if out, err := goCmd(fetch, "get", "helm.sh/helm/v3/cmd/helm@"+helmVersion); err != nil {
		t.Skipf("the Go module proxy cannot serve helm.sh/helm/v3@%s, so Helm is not tested: %v\n%s", helmVersion, err, out)
	}
	// Build beside the final path and rename, so a concurrent or killed
	// run never leaves a half-written binary that a later run would trust.
	tmp, err := os.CreateTemp(dir, "helm-*.tmp")
	if err != nil {
		t.Fatal(err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	start := time.Now()
	if out, err := goCmd(context.Background(), "build", "-o", tmp.Name(), "helm.sh/helm/v3/cmd/helm"); err != nil {
		t.Fatalf("go build helm %s: %v\n%s", helmVersion, err, out)
	}
	if err := os.Rename(tmp.Name(), bin); err != nil {
		t.Fatal(err)
	}
	t.Logf("built helm %s in %s into %s", helmVersion, time.Since(start).Round(time.Second), bin)
	return bin
}
