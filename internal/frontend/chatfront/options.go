package chatfront

import (
	"time"

	"aula/internal/config"
	"aula/internal/wire/chat"
)

// DefaultListen is IVLE's usrmgt port.
const DefaultListen = ":2178"

type options struct {
	listen      *config.Opt[string]
	magic       *config.Opt[map[string]string]
	magicFile   *config.Opt[string]
	auth        *config.Opt[string]
	tls         *config.Opt[bool]
	maxLen      *config.Opt[int]
	readTimeout *config.Opt[time.Duration]
	idleTimeout *config.Opt[time.Duration]
	callTimeout *config.Opt[time.Duration]
	maxConns    *config.Opt[int]
	maxPerIP    *config.Opt[int]
}

// Configure declares the [chat] options.
func (f *FrontEnd) Configure(sec *config.Section) {
	f.opts = &options{
		listen: sec.String("listen", DefaultListen,
			"TCP address of the chat listener (IVLE's netstring JSON protocol); it stays off until a magic is configured; empty turns it off").Validate(config.ListenAddr),
		magic: sec.Map("magic",
			"client name = magic: the shared secret each chat client signs its requests with; the name is the caller's identity for ACLs ([chat-magic] section, or --chat-magic name=secret)").Secret(),
		magicFile: sec.String("magic-file", "",
			"file of more `name = magic` lines (mode 0600, re-read when it changes, so one client's magic can be rotated without touching the others)"),
		auth: sec.String("auth", "md5",
			`request signatures: "md5" is IVLE's digest (unchanged clients work); "hmac-sha256" sends a nonce first and wants HMAC-SHA256(magic, nonce+content), so a captured request cannot be replayed`).Choices("md5", chat.AuthHMAC),
		tls: sec.Bool("tls", false,
			"serve the chat listener over TLS with the server's certificate (--tls-cert/--tls-key)"),
		maxLen: sec.Int("max-length", chat.DefaultMaxLen,
			"largest request netstring in bytes").Validate(config.PositiveInt),
		readTimeout: sec.Duration("read-timeout", 60*time.Second,
			"time a client has to send its whole request (IVLE's socket timeout)").Validate(config.PositiveDuration),
		idleTimeout: sec.Duration("idle-timeout", 15*time.Second,
			"longest silence allowed while a request is being read").Validate(config.PositiveDuration),
		callTimeout: sec.Duration("call-timeout", 60*time.Second,
			"time a call may take before the client gets a timeout error object").Validate(config.PositiveDuration),
		maxConns: sec.Int("max-conns", 1024,
			"chat connections open at once; more are closed at once, and past 7/8 of it each new connection first closes the one that has waited longest for its request").Validate(config.PositiveInt),
		maxPerIP: sec.Int("max-conns-per-ip", 128,
			"chat connections open at once from one source address").Validate(config.PositiveInt),
	}
}

func defaultOptions() *options {
	f := &FrontEnd{}
	set := config.NewSet()
	f.Configure(set.Section("chat"))
	return f.opts
}
