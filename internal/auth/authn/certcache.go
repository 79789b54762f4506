package authn

import (
	"crypto/sha256"
	"crypto/x509"
	"sync"
	"time"
)

// maxVerifiedChains bounds the cache; it is cleared when full.
const maxVerifiedChains = 1024

// verifiedChains remembers which certificate chains verified against a
// client's roots, and until when. Verification is a signature check per
// certificate, the largest cost of a small request; its outcome depends
// only on the certificates, the roots and the time, so a chain that
// verified stays verified within its certificates' common validity.
type verifiedChains struct {
	mu    sync.Mutex
	valid map[[sha256.Size]byte]window
}

type window struct{ notBefore, notAfter time.Time }

func newVerifiedChains() *verifiedChains {
	return &verifiedChains{valid: map[[sha256.Size]byte]window{}}
}

// chainKey digests the presented certificates, leaf first.
func chainKey(certs []*x509.Certificate) [sha256.Size]byte {
	h := sha256.New()
	for _, c := range certs {
		h.Write(c.Raw)
		h.Write([]byte{0}) // keeps (ab, c) apart from (a, bc)
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// verified reports whether certs verified before and are still within
// the validity of that verified chain at now.
func (v *verifiedChains) verified(key [sha256.Size]byte, now time.Time) bool {
	v.mu.Lock()
	w, ok := v.valid[key]
	v.mu.Unlock()
	return ok && !now.Before(w.notBefore) && !now.After(w.notAfter)
}

// add remembers a verified chain (leaf to root).
func (v *verifiedChains) add(key [sha256.Size]byte, chain []*x509.Certificate) {
	w := window{notBefore: chain[0].NotBefore, notAfter: chain[0].NotAfter}
	for _, c := range chain[1:] {
		if c.NotBefore.After(w.notBefore) {
			w.notBefore = c.NotBefore
		}
		if c.NotAfter.Before(w.notAfter) {
			w.notAfter = c.NotAfter
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.valid) >= maxVerifiedChains {
		clear(v.valid)
	}
	v.valid[key] = w
}
