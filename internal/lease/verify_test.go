package lease

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestVerifyRejectsTampering(t *testing.T) {
	master, server := masterKey(), serverKey()
	trusted := NewKeySet(master.Public())
	v2, _ := SignLease(master, 2, testSN, testUUID, testEXP)
	del, _ := SignDelegation(master, testSN, testDEL, server.Public())
	chained, err := SignChainedLease(del, server, testSN, testUUID, testEXP)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(s string) string { // change one hex digit of the signature
		c := byte('0')
		if s[100] == '0' {
			c = '1'
		}
		return s[:100] + string(c) + s[101:]
	}
	cases := []struct {
		name string
		line string
		sn   string
		uuid string
		want error
	}{
		{"later EXP", strings.Replace(v2.String(), " K 20271231T000000Z", " K 20281231T000000Z", 1), testSN, testUUID, ErrBadSignature},
		{"other SIGEXP", strings.Replace(v2.String(), " 20271231T000000Z "+v2.Links[0].Sig, " 20281231T000000Z "+v2.Links[0].Sig, 1), testSN, testUUID, ErrBadSignature},
		{"flipped sig", strings.Replace(v2.String(), v2.Links[0].Sig, flip(v2.Links[0].Sig), 1), testSN, testUUID, ErrBadSignature},
		{"other UUID", v2.String(), testSN, "00000000-0000-0000-0000-000000000000", ErrBadSignature},
		{"other SN", v2.String(), "SHF7060035B", testUUID, ErrWrongLaptop},
		{"moved to other SN", strings.ReplaceAll(v2.String(), testSN, "SHF7060035B"), "SHF7060035B", testUUID, ErrBadSignature},
		{"chain: link 2 key swapped", strings.Replace(chained.String(), server.Public().FullKey(), master.Public().FullKey(), 1), testSN, testUUID, ErrBadSignature},
		{"chain: later lease EXP", strings.Replace(chained.String(), " K 20271231T000000Z", " K 20281231T000000Z", 1), testSN, testUUID, ErrBadSignature},
		{"chain: later DELEXP", strings.Replace(chained.String(), string(testDEL), "20400101T000000Z", 1), testSN, testUUID, ErrBadSignature},
		{"untrusted master", strings.Replace(v2.String(), master.Public().KeyID(), server.Public().KeyID(), 1), testSN, testUUID, ErrUntrustedKey},
	}
	for _, c := range cases {
		err := mustParse(t, c.line).Verify(c.sn, c.uuid, trusted)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// A chain signed by a server key that the master never delegated to.
	rogue, _ := SignChainedLease(del, master, testSN, testUUID, testEXP)
	if err := rogue.Verify(testSN, testUUID, trusted); !errors.Is(err, ErrBadSignature) {
		t.Errorf("chain through an undelegated key: %v", err)
	}
	// The first link may carry the full key only if it is the trusted one.
	full := strings.Replace(v2.String(), master.Public().KeyID(), master.Public().FullKey(), 1)
	if err := mustParse(t, full).Verify(testSN, testUUID, trusted); err != nil {
		t.Errorf("full key of the trusted key in link 1: %v", err)
	}
	if err := v2.Verify(testSN, testUUID, NewKeySet()); !errors.Is(err, ErrUntrustedKey) {
		t.Errorf("empty key set: %v", err)
	}
}

func TestVerifyDelegation(t *testing.T) {
	master, server := masterKey(), serverKey()
	trusted := NewKeySet(master.Public())
	d, err := SignServerDelegation(master, testSN, testUUID, testDEL, server.Public())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.String(), "del01: "+testSN+" "+testUUID+" sig02: sha256 "+master.Public().KeyID()+" "+string(testDEL)+" ") {
		t.Errorf("del01 line: %q", d.String())
	}
	if err := d.VerifyDelegation(testSN, server.Public(), trusted); err != nil {
		t.Fatal(err)
	}
	bare := d.Delegation()
	if want := strings.TrimPrefix(d.String(), "del01: "+testSN+" "+testUUID+" "); bare.String() != want {
		t.Errorf("stripped delegation %q, want %q", bare.String(), want)
	}
	if err := bare.VerifyDelegation(testSN, server.Public(), trusted); err != nil {
		t.Error(err)
	}
	if err := bare.VerifyDelegation("SHF7060035B", server.Public(), trusted); !errors.Is(err, ErrBadSignature) {
		t.Errorf("delegation for another SN: %v", err)
	}
	if err := d.VerifyDelegation(testSN, master.Public(), trusted); !errors.Is(err, ErrBadSignature) {
		t.Errorf("delegation to another server key: %v", err)
	}
	if err := d.VerifyDelegation("SHF7060035B", server.Public(), trusted); !errors.Is(err, ErrWrongLaptop) {
		t.Errorf("del01 for another SN: %v", err)
	}
	if _, err := SignChainedLease(d, server, "SHF7060035B", testUUID, testEXP); !errors.Is(err, ErrWrongLaptop) {
		t.Errorf("chaining another laptop's del01: %v", err)
	}
	lease, _ := SignLease(master, 1, testSN, testUUID, testEXP)
	if err := lease.VerifyDelegation(testSN, server.Public(), trusted); !errors.Is(err, ErrWrongKind) {
		t.Errorf("VerifyDelegation of a lease: %v", err)
	}
	if err := d.Verify(testSN, testUUID, trusted); !errors.Is(err, ErrWrongKind) {
		t.Errorf("Verify of a delegation: %v", err)
	}
}

func TestCheckExpiry(t *testing.T) {
	master, server := masterKey(), serverKey()
	del, _ := SignDelegation(master, testSN, "20260101T000000Z", server.Public())
	chained, _ := SignChainedLease(del, server, testSN, testUUID, testEXP)
	at := func(s Stamp) time.Time { tm, _ := s.Time(); return tm }
	if err := chained.CheckExpiry(at("20251231T000000Z")); err != nil {
		t.Errorf("before both expiries: %v", err)
	}
	if err := chained.CheckExpiry(at("20260101T000000Z")); err == nil || !strings.Contains(err.Error(), "link 1") {
		t.Errorf("after DELEXP: %v", err)
	}
	forever, _ := SignLease(master, 1, testSN, testUUID, NoExpiry)
	if err := forever.CheckExpiry(at("99991231T235959Z")); err != nil {
		t.Errorf("no-expiry lease: %v", err)
	}
}

func TestSignRejectsBadArguments(t *testing.T) {
	k := masterKey()
	if _, err := SignLease(k, 3, testSN, testUUID, testEXP); err == nil {
		t.Error("version 3 accepted")
	}
	if _, err := SignLease(k, 1, "shf706002a7", testUUID, testEXP); err == nil {
		t.Error("lowercase SN accepted")
	}
	if _, err := SignLease(k, 1, testSN, "not-a-uuid", testEXP); err == nil {
		t.Error("bad UUID accepted")
	}
	if _, err := SignLease(k, 1, testSN, testUUID, "2027"); err == nil {
		t.Error("bad EXP accepted")
	}
	if _, err := SignRTCReset(k, 1, RTCReset{testSN, testUUID, "x", "1", testNEW}); err == nil {
		t.Error("bad CURRENTRTC accepted")
	}
	lease, _ := SignLease(k, 1, testSN, testUUID, testEXP)
	if _, err := SignChainedLease(lease, k, testSN, testUUID, testEXP); !errors.Is(err, ErrWrongKind) {
		t.Errorf("chaining on a lease: %v", err)
	}
}
