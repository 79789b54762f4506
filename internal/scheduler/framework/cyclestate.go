package framework

// StateKey names a plugin's data in a CycleState.
type StateKey string

// StateData is what a plugin keeps for one scheduling cycle. Clone must
// return a copy that the preemption dry run may change freely.
type StateData interface {
	Clone() StateData
}

// CycleState carries plugin data through one scheduling cycle. Writes
// happen in PreFilter and PreScore, on the scheduling goroutine; Filter
// and Score only read, from goroutines started after those writes. So it
// needs no lock: one would cost every plugin on every node a contended
// atomic.
type CycleState struct {
	data map[StateKey]StateData
	// SkipFilterPlugins and SkipScorePlugins hold the plugins whose
	// PreFilter or PreScore returned Skip.
	SkipFilterPlugins map[string]bool
	SkipScorePlugins  map[string]bool
}

// NewCycleState returns an empty state.
func NewCycleState() *CycleState {
	return &CycleState{data: map[StateKey]StateData{}, SkipFilterPlugins: map[string]bool{}, SkipScorePlugins: map[string]bool{}}
}

// Read returns the data stored under key, or nil.
func (c *CycleState) Read(key StateKey) StateData {
	return c.data[key]
}

// Write stores data under key.
func (c *CycleState) Write(key StateKey, data StateData) {
	c.data[key] = data
}

// Clone returns a deep copy, as the preemption dry run needs one per node.
func (c *CycleState) Clone() *CycleState {
	out := NewCycleState()
	for k, v := range c.data {
		out.data[k] = v.Clone()
	}
	for k := range c.SkipFilterPlugins {
		out.SkipFilterPlugins[k] = true
	}
	for k := range c.SkipScorePlugins {
		out.SkipScorePlugins[k] = true
	}
	return out
}
