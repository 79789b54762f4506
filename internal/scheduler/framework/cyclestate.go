package framework

// StateKey names a plugin's data in a CycleState.
type StateKey string

// StateData is what a plugin keeps for one scheduling cycle. Clone must
// return a copy that the preemption dry run may change freely.
type StateData interface {
	Clone() StateData
}

type stateEntry struct {
	key  StateKey
	data StateData
}

// CycleState carries plugin data through one scheduling cycle. Writes
// happen in PreFilter and PreScore, on the scheduling goroutine; Filter
// and Score only read, from goroutines started after those writes. So it
// needs no lock: one would cost every plugin on every node a contended
// atomic.
type CycleState struct {
	// data is a short list, not a map: every plugin reads it on every
	// node, and comparing a handful of constant keys (same length, same
	// pointer) is cheaper than hashing one.
	data []stateEntry
	// SkipFilterPlugins and SkipScorePlugins hold the plugins whose
	// PreFilter or PreScore returned Skip.
	SkipFilterPlugins map[string]bool
	SkipScorePlugins  map[string]bool
	// filters are the Filter plugins to run on every node, chosen once
	// after PreFilter; nil until then.
	filters []FilterPlugin
}

// NewCycleState returns an empty state.
func NewCycleState() *CycleState {
	return &CycleState{SkipFilterPlugins: map[string]bool{}, SkipScorePlugins: map[string]bool{}}
}

// Read returns the data stored under key, or nil.
func (c *CycleState) Read(key StateKey) StateData {
	for i := range c.data {
		if c.data[i].key == key {
			return c.data[i].data
		}
	}
	return nil
}

// Write stores data under key.
func (c *CycleState) Write(key StateKey, data StateData) {
	for i := range c.data {
		if c.data[i].key == key {
			c.data[i].data = data
			return
		}
	}
	c.data = append(c.data, stateEntry{key, data})
}

// Clone returns a deep copy, as the preemption dry run needs one per node.
func (c *CycleState) Clone() *CycleState {
	out := NewCycleState()
	out.data = make([]stateEntry, len(c.data))
	for i, e := range c.data {
		out.data[i] = stateEntry{e.key, e.data.Clone()}
	}
	for k := range c.SkipFilterPlugins {
		out.SkipFilterPlugins[k] = true
	}
	for k := range c.SkipScorePlugins {
		out.SkipScorePlugins[k] = true
	}
	out.filters = c.filters
	return out
}
