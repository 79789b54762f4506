package kubelet

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseThresholds(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []string // thresholds' String()
		wantErr bool
	}{
		{in: DefaultEvictionHard, want: []string{"memory.available<100Mi", "nodefs.available<10%", "nodefs.inodesFree<5%", "imagefs.available<15%"}},
		{in: " memory.available < 1Gi , imagefs.inodesFree<2.5% ", want: []string{"memory.available<1Gi", "imagefs.inodesFree<2.5%"}},
		{in: "", want: []string{}},
		{in: "memory.available>1Gi", wantErr: true},
		{in: "cpu.available<1", wantErr: true},
		{in: "nodefs.available<120%", wantErr: true},
		{in: "memory.available<-1Mi", wantErr: true},
		{in: "memory.available<1Gi,memory.available<2Gi", wantErr: true},
		{in: "memory.available<lots", wantErr: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			ths, err := ParseThresholds(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			got := []string{}
			for _, th := range ths {
				got = append(got, th.String())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("thresholds (-want +got):\n%s", diff)
			}
		})
	}
}

func TestThresholdsMet(t *testing.T) {
	ths, err := ParseThresholds("memory.available<100Mi,nodefs.available<10%,imagefs.available<15%")
	if err != nil {
		t.Fatal(err)
	}
	obs := observations{
		SignalMemoryAvailable:  {available: 99 << 20, capacity: 1 << 30},   // below 100Mi
		SignalNodeFsAvailable:  {available: 11, capacity: 100},             // 11% free: fine
		SignalNodeFsInodesFree: {available: 1, capacity: 100},              // no threshold given
		SignalImageFsAvailable: {available: 14 << 30, capacity: 100 << 30}, // 14% free
	}
	var got []Signal
	for _, m := range thresholdsMet(ths, obs) {
		got = append(got, m.Signal)
	}
	if diff := cmp.Diff([]Signal{SignalMemoryAvailable, SignalImageFsAvailable}, got); diff != "" {
		t.Errorf("thresholds met (-want +got):\n%s", diff)
	}
	if met := thresholdsMet(ths, observations{}); len(met) != 0 {
		t.Errorf("signals not observed must never meet thresholds: %v", met)
	}
}
