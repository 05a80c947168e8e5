#!/bin/bash
# Regenerates the fixed regression vectors in this directory with openssl
# only (no Go), following shared/spec/activation-leases.md §2 and §6.
# The key pairs are throwaway; only their .public halves are kept.
# Run from this directory: ./make-vectors.sh
set -euo pipefail
export LC_ALL=C

SN=SHF706002A7
UUID=8BF9AC40-26F8-4BCC-A699-BE51FD366419
SN2=SHF7060035B
UUID2=1273E0EC-AEF1-9FF6-45B2-FB706DC24B8D
EXP=20271231T000000Z
DELEXP=20300101T000000Z
CUR=20110512T003512Z
NONCE=0000000135
NEW=20110412T003512Z

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

makekey() { # spec §2, verbatim
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/$1.pem" 2>/dev/null
	openssl rsa -in "$tmp/$1.pem" -outform DER -traditional -out "$tmp/$1.private" 2>/dev/null
	openssl rsa -in "$tmp/$1.pem" -RSAPublicKey_out -outform DER -out "$tmp/$1.public" 2>/dev/null
}
keyid() { xxd -p "$tmp/$1.public" | tr -d '\n' | tail -c 64; }
fullkey() { xxd -p "$tmp/$1.public" | tr -d '\n'; }
sign() { # sign KEY SALTLEN < payload: spec §6 "Signing compatibly"
	openssl dgst -sha256 -binary | openssl pkeyutl -sign -inkey "$tmp/$1.private" -keyform DER \
		-pkeyopt digest:sha256 -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:"$2" |
		xxd -p | tr -d '\n'
}

makekey master
makekey server
cp "$tmp/master.public" master.public
cp "$tmp/server.public" server.public
keyid master >master.keyid
M=$(keyid master)
S=$(fullkey server)

lease() { # lease SN UUID
	printf 'act01: %s K %s sig01: sha256 %s %s\n' "$1" "$EXP" "$M" \
		"$(printf '%s' "$1:$2:K:$EXP" | sign master 8)"
	printf 'act01: %s K %s sig02: sha256 %s %s %s\n' "$1" "$EXP" "$M" "$EXP" \
		"$(printf '%s' "$1:$EXP:$1:$2:K:$EXP" | sign master 8)"
}
delsig() { printf '%s:%s:key01: %s\n' "$1" "$DELEXP" "$S" | sign master 8; }
chained() { # chained SN UUID
	printf 'act01: %s K %s sig02: sha256 %s %s %s sha256 %s %s %s\n' "$1" "$EXP" "$M" "$DELEXP" \
		"$(delsig "$1")" "$S" "$EXP" "$(printf '%s' "$1:$EXP:$1:$2:K:$EXP" | sign server 8)"
}

{
	lease "$SN" "$UUID"
	printf 'sig02: sha256 %s %s %s\n' "$M" "$DELEXP" "$(delsig "$SN")"
	printf 'del01: %s %s sig02: sha256 %s %s %s\n' "$SN" "$UUID" "$M" "$DELEXP" "$(delsig "$SN")"
	chained "$SN" "$UUID"
	printf 'rtc01: %s %s %s %s sig01: sha256 %s %s\n' "$SN" "$CUR" "$NONCE" "$NEW" "$M" \
		"$(printf '%s' "$SN:$UUID:$CUR:$NONCE:$NEW" | sign master 8)"
} >leases.sig

# The same v1 lease signed with openssl's salt length 32: must be rejected.
printf 'act01: %s K %s sig01: sha256 %s %s\n' "$SN" "$EXP" "$M" \
	"$(printf '%s' "$SN:$UUID:K:$EXP" | sign master 32)" >badsalt.sig

# Canonical JSON, keys sorted, raw newlines inside the values.
{
	printf '[1,{"%s":"' "$SN"
	lease "$SN" "$UUID"
	chained "$SN" "$UUID"
	printf '","%s":"' "$SN2"
	lease "$SN2" "$UUID2"
	printf '"}]'
} >leases.cjson
