package kubelet

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// timestampFormat is how `timestamps=true` prefixes each line: the
// Kubernetes kubelet's fixed-width RFC 3339.
const timestampFormat = "2006-01-02T15:04:05.000000000Z07:00"

// logOptions say which part of a container log to send.
type logOptions struct {
	follow     bool
	timestamps bool
	// since drops entries older than it; zero keeps all.
	since time.Time
	// tail sends only the last tail entries; negative sends all.
	tail int64
	// limitBytes stops after that many bytes; zero means no limit.
	limitBytes int64
}

// logEntry is one line of container output, partial lines joined.
type logEntry struct {
	ts  time.Time
	msg []byte
}

// parseCRILine splits a CRI log line "<RFC3339Nano> <stream> <P|F> <msg>"
// (without its newline); full is false for a partial (P) fragment.
func parseCRILine(line []byte) (ts time.Time, msg []byte, full bool, err error) {
	fields := bytes.SplitN(line, []byte{' '}, 4)
	if len(fields) < 3 {
		return ts, nil, false, fmt.Errorf("malformed CRI log line %q", line)
	}
	if ts, err = time.Parse(time.RFC3339Nano, string(fields[0])); err != nil {
		return ts, nil, false, fmt.Errorf("CRI log timestamp: %w", err)
	}
	if s := string(fields[1]); s != "stdout" && s != "stderr" {
		return ts, nil, false, fmt.Errorf("unknown CRI log stream %q", s)
	}
	if len(fields) == 4 {
		msg = fields[3]
	}
	switch string(fields[2]) {
	case "F":
		return ts, msg, true, nil
	case "P":
		return ts, msg, false, nil
	}
	// Runtimes older than the tag field wrote no P/F: the line is whole.
	return ts, bytes.Join(fields[2:], []byte{' '}), true, nil
}

// logStream reads a CRI log file entry by entry.
type logStream struct {
	r *bufio.Reader
	// pending is a line whose newline has not been written yet.
	pending []byte
	// partial gathers P fragments until their F.
	partial *logEntry
}

// next returns the next whole entry, or io.EOF when the file holds no
// complete one yet.
func (s *logStream) next() (logEntry, error) {
	for {
		chunk, err := s.r.ReadBytes('\n')
		s.pending = append(s.pending, chunk...)
		if err != nil {
			return logEntry{}, err
		}
		line := bytes.TrimSuffix(s.pending, []byte{'\n'})
		s.pending = nil
		ts, msg, full, perr := parseCRILine(line)
		if perr != nil {
			continue // a corrupt line must not end the stream
		}
		if s.partial == nil {
			s.partial = &logEntry{ts: ts}
		}
		s.partial.msg = append(s.partial.msg, msg...)
		if full {
			e := *s.partial
			e.msg = append(e.msg, '\n')
			s.partial = nil
			return e, nil
		}
	}
}

// errLimitReached ends a stream that sent limitBytes.
var errLimitReached = errors.New("log limit reached")

// logWriter formats entries and enforces limitBytes.
type logWriter struct {
	w    io.Writer
	opts logOptions
	sent int64
}

func (lw *logWriter) write(e logEntry) error {
	if !lw.opts.since.IsZero() && e.ts.Before(lw.opts.since) {
		return nil
	}
	buf := e.msg
	if lw.opts.timestamps {
		buf = append([]byte(e.ts.UTC().Format(timestampFormat)+" "), e.msg...)
	}
	if lw.opts.limitBytes > 0 && lw.sent+int64(len(buf)) > lw.opts.limitBytes {
		buf = buf[:lw.opts.limitBytes-lw.sent]
	}
	n, err := lw.w.Write(buf)
	lw.sent += int64(n)
	if err != nil {
		return err
	}
	if f, ok := lw.w.(interface{ Flush() }); ok && lw.opts.follow {
		f.Flush()
	}
	if lw.opts.limitBytes > 0 && lw.sent >= lw.opts.limitBytes {
		return errLimitReached
	}
	return nil
}

// followHooks drive follow mode: running reports whether the container
// may still write; wait blocks until the file may have grown and
// returns false when the reader went away.
type followHooks struct {
	running func() bool
	wait    func(ctx context.Context) bool
}

// copyLog writes a CRI log file to w as opts say; following, it reads
// on past the end of the file as it grows.
func copyLog(ctx context.Context, file io.Reader, opts logOptions, w io.Writer, hooks followHooks) error {
	s := &logStream{r: bufio.NewReader(file)}
	lw := &logWriter{w: w, opts: opts}
	err := writeExisting(s, lw, opts.tail)
	if err == nil && opts.follow {
		err = follow(ctx, s, lw, hooks)
	}
	if errors.Is(err, errLimitReached) {
		return nil
	}
	return err
}

// writeExisting sends what the file holds now, only the last tail
// entries when tail is not negative.
func writeExisting(s *logStream, lw *logWriter, tail int64) error {
	var last []logEntry
	for {
		e, err := s.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if tail < 0 {
			if err := lw.write(e); err != nil {
				return err
			}
			continue
		}
		if !lw.opts.since.IsZero() && e.ts.Before(lw.opts.since) {
			continue
		}
		last = append(last, e)
		if int64(len(last)) > tail {
			last = last[1:]
		}
	}
	for _, e := range last {
		if err := lw.write(e); err != nil {
			return err
		}
	}
	return nil
}

// follow sends new entries until the container has stopped and its
// last output is sent, or ctx ends.
func follow(ctx context.Context, s *logStream, lw *logWriter, hooks followHooks) error {
	stopped := false
	for {
		e, err := s.next()
		if err == nil {
			if err := lw.write(e); err != nil {
				return err
			}
			continue
		}
		if !errors.Is(err, io.EOF) {
			return err
		}
		// One more read after the container stopped picks up what it
		// wrote just before.
		if stopped {
			return nil
		}
		if stopped = !hooks.running(); !stopped && !hooks.wait(ctx) {
			return nil
		}
	}
}
