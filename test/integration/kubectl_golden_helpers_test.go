package integration

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite test/integration/testdata/kubectl/*.golden from kubectl's output")

// goldenDir holds one expected transcript per scenario step and the
// manifests the steps apply.
const goldenDir = "testdata/kubectl"

// goldenStep is one kubectl invocation of the scenario.
type goldenStep struct {
	name   string   // golden file name without extension
	args   []string // kubectl arguments
	before func(t *testing.T)
}

// runStep runs kubectl for s with its own cache directory and HOME, and
// KUBE_EDITOR set to editor; it returns the transcript to compare.
func (k kubectl) runStep(s goldenStep, home, editor string) string {
	k.t.Helper()
	args := append([]string{"--kubeconfig", k.kubeconfig, "--cache-dir", filepath.Join(home, "cache")}, s.args...)
	cmd := exec.Command("kubectl", args...)
	cmd.Env = append(os.Environ(), "HOME="+home, "KUBE_EDITOR="+editor)
	out, err := cmd.CombinedOutput()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		k.t.Fatalf("kubectl %v: %v", s.args, err)
	}
	return fmt.Sprintf("$ kubectl %s\n%s[exit %d]\n", strings.Join(s.args, " "), mask(string(out), s.args), code)
}

// checkGolden compares got with the step's golden file, or rewrites the
// file under -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(goldenDir, name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -args -update to create it)", err)
	}
	if !bytes.Equal(want, []byte(got)) {
		t.Errorf("%s differs from Kubernetes' expected output:\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// Masks for what differs from run to run. Ages are masked in tables
// only, where they stand alone in a cell or inside "(5m ago)".
var (
	uidRE      = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	rvRE       = regexp.MustCompile(`(resourceVersion"?:\s*)"?\d+"?`)
	rfc3339RE  = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z`)
	httpDateRE = regexp.MustCompile(`[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}`)
	diffDateRE = regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d+ [+-]\d{4}`)
	diffDirRE  = regexp.MustCompile(`/tmp/(LIVE|MERGED)-\d+`)
	clusterIP  = regexp.MustCompile(`\b10\.43\.\d+\.\d+\b`)
	suffixRE   = regexp.MustCompile(`\b(web-7b9c6d5f8|kube-api-access)-[a-z0-9]{5}\b`)
	klogRE     = regexp.MustCompile(`(?m)^([IWE])\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+ `)
	ageRE      = regexp.MustCompile(`(^|\s{2,}|\()(\d+[smhdy](\d+[smh])?|<invalid>)(\s{2,}| ago\)|$)`)
	padRE      = regexp.MustCompile(`(\S) {2,}`)
)

// mask replaces run-dependent text with placeholders. Where ages stand in
// columns (tables, describe) the padding they cause is collapsed to two
// spaces, since column widths follow the widest age.
func mask(out string, args []string) string {
	out = uidRE.ReplaceAllString(out, "<uid>")
	out = rvRE.ReplaceAllString(out, `${1}"<rv>"`)
	out = rfc3339RE.ReplaceAllString(out, "<time>")
	out = httpDateRE.ReplaceAllString(out, "<time>")
	out = diffDateRE.ReplaceAllString(out, "<time>")
	out = diffDirRE.ReplaceAllString(out, "/tmp/$1-<n>")
	out = clusterIP.ReplaceAllString(out, "<cluster-ip>")
	out = suffixRE.ReplaceAllString(out, "$1-<x>")
	out = klogRE.ReplaceAllString(out, "$1<klog> ")
	if !showsAges(args) {
		return out
	}
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		// Twice: a match consumes the spaces the next age would start with.
		l = ageRE.ReplaceAllString(ageRE.ReplaceAllString(l, "${1}<age>$4"), "${1}<age>$4")
		lines[i] = padRE.ReplaceAllString(l, "$1  ")
	}
	return strings.Join(lines, "\n")
}

// showsAges reports whether kubectl prints args' result as a table or a
// description, the outputs with AGE columns.
func showsAges(args []string) bool {
	if args[0] != "get" && args[0] != "describe" {
		return false
	}
	for i, a := range args {
		if (a == "-o" && i+1 < len(args) && args[i+1] != "wide") || strings.HasPrefix(a, "-o=") || strings.HasPrefix(a, "--output") {
			return false
		}
	}
	return true
}
