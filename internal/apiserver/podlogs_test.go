package apiserver

import (
	"net/url"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestParsePodLogOptions(t *testing.T) {
	q, _ := url.ParseQuery("container=c&follow=true&previous=1&timestamps=yes&tailLines=3&limitBytes=10&sinceSeconds=5")
	opts, err := parsePodLogOptions(q, "p")
	if err != nil {
		t.Fatal(err)
	}
	if opts.Container != "c" || !opts.Follow || !opts.Previous || !opts.Timestamps || *opts.TailLines != 3 || *opts.LimitBytes != 10 || *opts.SinceSeconds != 5 {
		t.Errorf("parsed %+v", opts)
	}
	if got := kubeletLogQuery(opts).Encode(); got != "follow=true&limitBytes=10&previous=true&sinceSeconds=5&tailLines=3&timestamps=true" {
		t.Errorf("kubelet query %s", got)
	}
	for _, tc := range []struct {
		query   string
		invalid bool // 422 rather than 400
	}{
		{"tailLines=-1", true},
		{"limitBytes=0", true},
		{"sinceSeconds=0", true},
		{"sinceSeconds=5&sinceTime=2026-11-24T10:00:00Z", true},
		{"tailLines=x", false},
		{"sinceTime=yesterday", false},
	} {
		q, _ := url.ParseQuery(tc.query)
		_, err := parsePodLogOptions(q, "p")
		if tc.invalid && !apierrors.IsInvalid(err) || !tc.invalid && !apierrors.IsBadRequest(err) {
			t.Errorf("%s: %v (invalid=%v)", tc.query, err, tc.invalid)
		}
	}
}

func TestPodContainer(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "init"}},
		Containers:     []corev1.Container{{Name: "a"}, {Name: "b"}},
	}}
	_, err := podContainer(pod, "")
	if want := "a container name must be specified for pod web, choose one of: [a b] or one of the init containers: [init]"; err == nil || err.Error() != want || !apierrors.IsBadRequest(err) {
		t.Errorf("no name: %v, want %q", err, want)
	}
	_, err = podContainer(pod, "x")
	if want := "container x is not valid for pod web"; err == nil || err.Error() != want || !apierrors.IsBadRequest(err) {
		t.Errorf("unknown name: %v, want %q", err, want)
	}
	for _, name := range []string{"a", "init"} {
		if got, err := podContainer(pod, name); err != nil || got != name {
			t.Errorf("%s: %q, %v", name, got, err)
		}
	}
	pod.Spec.Containers, pod.Spec.InitContainers = pod.Spec.Containers[:1], nil
	if got, err := podContainer(pod, ""); err != nil || got != "a" {
		t.Errorf("only container: %q, %v", got, err)
	}
}

func TestLogsUnavailable(t *testing.T) {
	pod := func(st corev1.ContainerStatus) *corev1.Pod {
		st.Name = "c"
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{st}}}
	}
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	crashed := corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1}}
	backoff := corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}}
	creating := corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}
	for _, tc := range []struct {
		name     string
		pod      *corev1.Pod
		previous bool
		want     string // "" means logs are there
	}{
		{"no status yet", &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}}, false, `container "c" in pod "p" is waiting to start: ContainerCreating`},
		{"creating", pod(corev1.ContainerStatus{State: creating}), false, `container "c" in pod "p" is waiting to start: ContainerCreating`},
		{"running", pod(corev1.ContainerStatus{State: running}), false, ""},
		{"crash loop reads the last run", pod(corev1.ContainerStatus{State: backoff, LastTerminationState: crashed}), false, ""},
		{"previous after a restart", pod(corev1.ContainerStatus{State: running, LastTerminationState: crashed}), true, ""},
		{"previous without one", pod(corev1.ContainerStatus{State: running}), true, `previous terminated container "c" in pod "p" not found`},
	} {
		err := logsUnavailable(tc.pod, "c", tc.previous)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want || !apierrors.IsBadRequest(err)):
			t.Errorf("%s: %v, want BadRequest %q", tc.name, err, tc.want)
		}
	}
}

func TestStreamQuery(t *testing.T) {
	q, _ := url.ParseQuery("command=echo&command=hi&stdin=true&stdout=true&tty=true&container=c")
	got, err := streamQuery(q, true)
	if err != nil {
		t.Fatal(err)
	}
	if got.Encode() != "command=echo&command=hi&input=1&output=1&tty=1" {
		t.Errorf("kubelet query %s", got.Encode())
	}
	if _, err := streamQuery(url.Values{"stdout": {"true"}}, true); !apierrors.IsBadRequest(err) {
		t.Errorf("exec without command: %v", err)
	}
	if _, err := streamQuery(url.Values{"tty": {"true"}}, false); !apierrors.IsBadRequest(err) {
		t.Errorf("attach without streams: %v", err)
	}
}
