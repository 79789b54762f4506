package flowcontrol

import "slices"

// deal picks hand distinct queues out of deck from the flow's hash, as
// shuffle sharding does: flows that collide on one queue rarely share
// the whole hand.
func deal(hash uint64, deck, hand int) []int {
	hand = min(max(hand, 1), deck)
	picked := make([]int, 0, hand)
	for i := 0; i < hand; i++ {
		left := uint64(deck - i)
		card := int(hash % left)
		hash /= left
		// card is an index among the cards not yet picked; skip past
		// the picked ones at or below it (picked is kept sorted).
		for _, p := range picked {
			if p <= card {
				card++
			}
		}
		picked = append(picked, card)
		slices.Sort(picked)
	}
	return picked
}
