package kubelet

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// criLog is a container log as containerd writes it: a partial line
// joined by its full end, stdout and stderr interleaved.
const criLog = `2026-11-24T10:00:00.000000001Z stdout F one
2026-11-24T10:00:01.000000000Z stderr F two
2026-11-24T10:00:02.000000000Z stdout P thr
2026-11-24T10:00:02.500000000Z stdout P e
2026-11-24T10:00:03.000000000Z stdout F e
not a cri line
2026-11-24T10:00:04.000000000Z stdout F 
2026-11-24T10:00:05.000000000Z stdout F five
`

// writeLog writes content to a log file and opens it for reading.
func writeLog(t *testing.T, content string) (*os.File, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "0.log")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, path
}

var noFollow = followHooks{running: func() bool { return false }, wait: func(context.Context) bool { return false }}

func TestCopyLog(t *testing.T) {
	_, path := writeLog(t, criLog)
	since := time.Date(2026, 11, 24, 10, 0, 1, 0, time.UTC)
	for _, tc := range []struct {
		name string
		opts logOptions
		want string
	}{
		{"all, partial lines joined, empty line kept", logOptions{tail: -1}, "one\ntwo\nthree\n\nfive\n"},
		{"tail counts joined lines", logOptions{tail: 2}, "\nfive\n"},
		{"tail 0 sends nothing", logOptions{tail: 0}, ""},
		{"tail beyond the file", logOptions{tail: 99}, "one\ntwo\nthree\n\nfive\n"},
		{"since keeps entries at or after it", logOptions{tail: -1, since: since}, "two\nthree\n\nfive\n"},
		{"since then tail", logOptions{tail: 4, since: since.Add(time.Second)}, "three\n\nfive\n"},
		{"limitBytes cuts mid-line", logOptions{tail: -1, limitBytes: 6}, "one\ntw"},
		{"timestamps of the first fragment", logOptions{tail: 1, timestamps: true}, "2026-11-24T10:00:05.000000000Z five\n"},
		{"timestamps keep nanoseconds", logOptions{tail: -1, limitBytes: 35, timestamps: true}, "2026-11-24T10:00:00.000000001Z one\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var out bytes.Buffer
			if err := copyLog(context.Background(), f, tc.opts, &out, noFollow); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Errorf("got %q, want %q", out.String(), tc.want)
			}
		})
	}
}

// TestCopyLogFollow appends to the file each time the reader waits, a
// line split across two writes included, then stops the container: the
// reader must send everything, the last write after the stop too.
func TestCopyLogFollow(t *testing.T) {
	r, path := writeLog(t, "2026-11-24T10:00:00Z stdout F old\n")
	writes := []string{
		"2026-11-24T10:00:01Z stdout F new\n2026-11-24T10:00:02Z stderr F half",
		"-line\n", // the rest of the line above: no output before it
		"2026-11-24T10:00:03Z stdout F done\n",
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	running := true
	var seen []string
	hooks := followHooks{
		running: func() bool { return running },
		wait: func(context.Context) bool {
			seen = append(seen, out.String())
			if len(writes) == 0 {
				t.Fatal("waited after the container stopped")
			}
			if _, err := f.WriteString(writes[0]); err != nil {
				t.Fatal(err)
			}
			writes = writes[1:]
			// The final write lands as the container exits.
			running = len(writes) > 0
			return true
		},
	}
	if err := copyLog(context.Background(), r, logOptions{follow: true, tail: -1}, &out, hooks); err != nil {
		t.Fatal(err)
	}
	if want := "old\nnew\nhalf-line\ndone\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
	if want := []string{"old\n", "old\nnew\n", "old\nnew\nhalf-line\n"}; strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Errorf("output at each wait = %q, want %q (a partial entry must wait for its end)", seen, want)
	}
}

func TestCopyLogFollowStopsWhenClientLeaves(t *testing.T) {
	r, _ := writeLog(t, "2026-11-24T10:00:00Z stdout F old\n")
	ctx, cancel := context.WithCancel(context.Background())
	hooks := followHooks{
		running: func() bool { return true },
		wait: func(ctx context.Context) bool {
			cancel()
			<-ctx.Done()
			return false
		},
	}
	var out bytes.Buffer
	if err := copyLog(ctx, r, logOptions{follow: true, tail: -1}, &out, hooks); err != nil {
		t.Fatal(err)
	}
	if out.String() != "old\n" {
		t.Errorf("got %q", out.String())
	}
}

func TestParseLogOptions(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	q, _ := url.ParseQuery("follow=true&previous=1&timestamps=true&tailLines=5&limitBytes=100&sinceSeconds=60")
	opts, previous, err := parseLogOptions(q, now)
	if err != nil {
		t.Fatal(err)
	}
	want := logOptions{follow: true, timestamps: true, tail: 5, limitBytes: 100, since: now.Add(-time.Minute)}
	if opts != want || !previous {
		t.Errorf("got %+v previous=%v, want %+v previous=true", opts, previous, want)
	}
	if opts, _, _ := parseLogOptions(url.Values{}, now); opts.tail != -1 || !opts.since.IsZero() {
		t.Errorf("defaults = %+v, want all lines since ever", opts)
	}
	for _, bad := range []string{"tailLines=-1", "limitBytes=0", "sinceSeconds=0", "follow=maybe", "sinceTime=yesterday", "sinceSeconds=5&sinceTime=2026-11-24T10:00:00Z"} {
		q, _ := url.ParseQuery(bad)
		if _, _, err := parseLogOptions(q, now); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
