package bench

import (
	"bytes"
	"compress/gzip"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// encodeTestProfile builds a profile as runtime/pprof writes one: two
// functions, one location each, three samples of which two are labelled.
func encodeTestProfile(t *testing.T) []byte {
	msg := func(fields func(b []byte) []byte) []byte { return fields(nil) }
	varint := func(b []byte, num protowire.Number, v uint64) []byte {
		b = protowire.AppendTag(b, num, protowire.VarintType)
		return protowire.AppendVarint(b, v)
	}
	bytesField := func(b []byte, num protowire.Number, v []byte) []byte {
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendBytes(b, v)
	}
	strs := []string{"", "samples", "count", "cpu", "nanoseconds", "filter", "bind", profLabel, profLabelValue}
	var p []byte
	for _, s := range strs {
		p = bytesField(p, 6, []byte(s))
	}
	for id, name := range map[uint64]uint64{1: 5, 2: 6} {
		p = bytesField(p, 5, msg(func(b []byte) []byte { return varint(varint(b, 1, id), 2, name) }))
		line := msg(func(b []byte) []byte { return varint(b, 1, id) })
		p = bytesField(p, 4, msg(func(b []byte) []byte { return bytesField(varint(b, 1, id), 4, line) }))
	}
	label := msg(func(b []byte) []byte { return varint(varint(b, 1, 7), 2, 8) })
	sample := func(loc, nanos uint64, labelled bool) []byte {
		return msg(func(b []byte) []byte {
			b = varint(b, 1, loc)
			b = varint(varint(b, 2, 1), 2, nanos)
			if labelled {
				b = bytesField(b, 3, label)
			}
			return b
		})
	}
	p = bytesField(p, 2, sample(1, 3e9, true))
	p = bytesField(p, 2, sample(2, 1e9, true))
	p = bytesField(p, 2, sample(2, 5e9, false))
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(p); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCPUProfileByLabel(t *testing.T) {
	p, err := parseCPUProfile(encodeTestProfile(t))
	if err != nil {
		t.Fatal(err)
	}
	sched, all := p.total(profLabel, profLabelValue)
	if sched.Seconds() != 4 || all.Seconds() != 9 {
		t.Errorf("labelled / all CPU = %v / %v, want 4s / 9s", sched, all)
	}
	top := p.top(profLabel, profLabelValue, 5)
	if len(top) != 2 || top[0].Func != "filter" || top[0].Percent != 75 || top[1].Func != "bind" || top[1].Seconds != 1 {
		t.Errorf("top = %+v, want filter 75%% then bind 1s", top)
	}
}
