// Package lease reads, writes, signs and verifies OLPC anti-theft activation
// leases and the RSA keys behind them, byte for byte as XO laptops and the
// OLPC bios-crypto tools expect (spec: shared/spec/activation-leases.md).
//
// Keys are RSA-2048, e=65537, stored as DER PKCS#1 files NAME.private (mode
// 0600) and NAME.public; a key is named on lease lines by its keyid (hex of
// the last 32 bytes of the .public file) or by its full key (hex of the whole
// .public file). Signatures are RSASSA-PSS over SHA-256 with a salt of exactly
// 8 bytes, written as 512 lowercase hex characters.
//
// Line kinds: act01 leases (sig01, sig02 and chained sig02), rtc01 RTC-reset
// replies, bare sig02 delegations and del01 per-laptop delegations. Lease files
// are bare lines or Canonical JSON [1,{"SN":"lines",...}] with raw newlines in
// the values, which encoding/json cannot read or write, hence the small
// reader and writer here.
//
// Everything here is pure: no store, no network. Parsers are strict (every
// field is checked and errors name the field), size-limited and fuzzed; what
// parses re-serialises to the same bytes.
package lease
