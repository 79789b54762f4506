package bench

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"sort"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// cpuProfile is what the benchmark needs from a Go CPU profile (the
// gzipped protobuf of runtime/pprof): CPU time per leaf function, split by
// the value of one pprof label.
type cpuProfile struct {
	strings   []string
	functions map[uint64]int64 // function id → name index
	locations map[uint64]uint64
	samples   []profSample
}

type profSample struct {
	leaf   uint64 // location id of the innermost frame
	cpu    time.Duration
	labels map[int64]int64 // key → string value, as string table indexes
}

// FuncCPU is one function's CPU time in a profile.
type FuncCPU struct {
	Func    string  `json:"func"`
	Seconds float64 `json:"seconds"`
	Percent float64 `json:"percent"`
}

// parseCPUProfile decodes the profile that runtime/pprof wrote.
func parseCPUProfile(data []byte) (*cpuProfile, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if data, err = io.ReadAll(zr); err != nil {
		return nil, err
	}
	p := &cpuProfile{functions: map[uint64]int64{}, locations: map[uint64]uint64{}}
	err = eachField(data, func(num protowire.Number, v uint64, b []byte) error {
		switch num {
		case 2:
			return p.addSample(b)
		case 4:
			return p.addLocation(b)
		case 5:
			var id uint64
			var name int64
			err := eachField(b, func(n protowire.Number, v uint64, _ []byte) error {
				switch n {
				case 1:
					id = v
				case 2:
					name = int64(v)
				}
				return nil
			})
			p.functions[id] = name
			return err
		case 6:
			p.strings = append(p.strings, string(b))
		}
		return nil
	})
	return p, err
}

// addSample keeps the first location (the leaf), the last value (CPU
// nanoseconds) and the string labels of a Sample.
func (p *cpuProfile) addSample(b []byte) error {
	s := profSample{leaf: 0, labels: map[int64]int64{}}
	first := true
	err := eachField(b, func(num protowire.Number, v uint64, lb []byte) error {
		switch num {
		case 1:
			return eachVarint(v, lb, func(x uint64) {
				if first {
					s.leaf, first = x, false
				}
			})
		case 2:
			return eachVarint(v, lb, func(x uint64) { s.cpu = time.Duration(int64(x)) })
		case 3:
			var key, str int64
			err := eachField(lb, func(n protowire.Number, v uint64, _ []byte) error {
				switch n {
				case 1:
					key = int64(v)
				case 2:
					str = int64(v)
				}
				return nil
			})
			s.labels[key] = str
			return err
		}
		return nil
	})
	p.samples = append(p.samples, s)
	return err
}

// addLocation maps a location to the function of its first line: the
// innermost one when calls were inlined.
func (p *cpuProfile) addLocation(b []byte) error {
	var id, fn uint64
	err := eachField(b, func(num protowire.Number, v uint64, lb []byte) error {
		switch num {
		case 1:
			id = v
		case 4:
			if fn == 0 {
				return eachField(lb, func(n protowire.Number, v uint64, _ []byte) error {
					if n == 1 {
						fn = v
					}
					return nil
				})
			}
		}
		return nil
	})
	p.locations[id] = fn
	return err
}

// labelled reports whether s carries label key=value.
func (p *cpuProfile) labelled(s profSample, key, value string) bool {
	for k, v := range s.labels {
		if p.str(k) == key && p.str(v) == value {
			return true
		}
	}
	return false
}

func (p *cpuProfile) str(i int64) string {
	if i < 0 || int(i) >= len(p.strings) {
		return ""
	}
	return p.strings[i]
}

// total returns the CPU time of the samples labelled key=value, and of
// all samples.
func (p *cpuProfile) total(key, value string) (labelled, all time.Duration) {
	for _, s := range p.samples {
		all += s.cpu
		if p.labelled(s, key, value) {
			labelled += s.cpu
		}
	}
	return labelled, all
}

// top returns the n functions with the most CPU time of their own among
// the samples labelled key=value.
func (p *cpuProfile) top(key, value string, n int) []FuncCPU {
	byFunc := map[string]time.Duration{}
	var sum time.Duration
	for _, s := range p.samples {
		if !p.labelled(s, key, value) {
			continue
		}
		byFunc[p.str(p.functions[p.locations[s.leaf]])] += s.cpu
		sum += s.cpu
	}
	out := make([]FuncCPU, 0, len(byFunc))
	for f, d := range byFunc {
		out = append(out, FuncCPU{Func: f, Seconds: d.Seconds(), Percent: 100 * d.Seconds() / sum.Seconds()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seconds > out[j].Seconds })
	return out[:min(n, len(out))]
}

// eachField calls fn for every field of a protobuf message: v holds
// varints, b length-delimited bytes.
func eachField(b []byte, fn func(num protowire.Number, v uint64, b []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v uint64
		var lb []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			lb, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := fn(num, v, lb); err != nil {
			return err
		}
	}
	return nil
}

// eachVarint calls fn for a repeated varint field, packed (b) or not (v).
func eachVarint(v uint64, b []byte, fn func(uint64)) error {
	if b == nil {
		fn(v)
		return nil
	}
	for len(b) > 0 {
		x, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return fmt.Errorf("packed varints: %w", protowire.ParseError(n))
		}
		fn(x)
		b = b[n:]
	}
	return nil
}
