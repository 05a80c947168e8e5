// Package labapi is what the lab module, its agent front end
// (internal/frontend/labfront) and the agent (internal/agent) share: the
// command catalogue, the session message codes, the event the module
// publishes when actions are queued, and the values the agent methods
// (lab.agent*) take and return. None of them reaches into another's
// internals; this package is the contract.
package labapi

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// Command is one entry of the catalogue (spec §4, OpenGnsys names and codes).
type Command struct {
	Code    int
	Name    string   // nombre on the wire, as OpenGnsys names it
	Aliases []string // what admins type: `aula run probe`
	Help    string
}

// Codes of the built-in commands.
const (
	CodeWake      = 1 // Arrancar: the server sends Wake-on-LAN; never sent to an agent
	CodePowerOff  = 2
	CodeReboot    = 5
	CodeHardware  = 6
	CodeSoftware  = 7
	CodeScript    = 8
	CodeProbe     = 17
	CodeAdminCmd  = 100 // an admin-defined command: nombre is its name
	codeSessionLo = 90
)

// Session message codes: not actions (accion is 0).
const (
	CodeHello       = 90 // agent → server RESPUESTA: who I am (PARAMs below)
	CodeEnrol       = 91 // agent → server RESPUESTA: PARAM token, first contact
	CodeError       = 92 // either way COMANDO nombre="Error": PARAM error says what was wrong
	CodeCertificate = 93 // server → agent COMANDO: PARAMs crt, key, ca (PEM) after an enrolment
	CodeWelcome     = 94 // server → agent COMANDO after a hello: PARAM computer
	CodeStored      = 95 // agent → server RESPUESTA after a certificate (93): it is stored; the token is spent
)

// Catalogue lists the built-in commands.
var Catalogue = []Command{
	{CodeProbe, "Sondeo", []string{"probe"}, "the agent's state (idle/busy), uptime and load"},
	{CodeHardware, "InventarioHardware", []string{"hardware", "hw"}, "hardware inventory from /proc and /sys, stored per computer"},
	{CodeSoftware, "InventarioSoftware", []string{"software", "sw"}, "installed packages (dpkg-query or rpm), stored per computer"},
	{CodeScript, "EjecutarScript", []string{"script", "shell"}, "run PARAM scp with /bin/sh (timeout: PARAM timeout seconds), output capped"},
	{CodePowerOff, "Apagar", []string{"poweroff"}, "report, then run the agent's --poweroff-command"},
	{CodeReboot, "Reiniciar", []string{"reboot"}, "report, then run the agent's --reboot-command"},
	{CodeWake, "Arrancar", []string{"wake", "poweron"}, "Wake-on-LAN: the server sends the magic packet to the lab's broadcast (PARAM mar=2: to the computer's IP); it is booting until its agent connects"},
}

// adminName is what an admin-defined command may be called: it is a file
// name in the agent's --agent-commands-dir.
var adminName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// Resolve finds the command an admin typed (a catalogue name or alias, in
// any case); any other well-formed name is an admin-defined command.
func Resolve(name string) (Command, bool) {
	for _, c := range Catalogue {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
		for _, a := range c.Aliases {
			if strings.EqualFold(a, name) {
				return c, true
			}
		}
	}
	if adminName.MatchString(name) {
		return Command{Code: CodeAdminCmd, Name: name, Help: "admin-defined"}, true
	}
	return Command{}, false
}

// ValidAdminName reports whether name may be an admin-defined command.
func ValidAdminName(name string) bool { return adminName.MatchString(name) }

// IdentityPrefix starts every agent certificate's CN, so that an agent's
// identity can never be an admin's user name.
const IdentityPrefix = "lab-agent-"

// Identity is the certificate name of a computer's agent.
func Identity(computer string) string { return IdentityPrefix + computer }

// TopicQueued is published (in the server process) when actions were
// queued; its data is a QueuedEvent.
const TopicQueued = "lab.queued"

// QueuedEvent names the computers that have new queued actions, and
// carries the actions a launch handed straight to idle agents (Sent, by
// computer: already marked sent, for the agent front end to write to the
// agent's connection).
type QueuedEvent struct {
	Computers []string
	Sent      map[string]Delivery
}

// TopicIdle is published (in the server process) by a launch before it
// writes its rows, with an *IdleQuery. The agent front end marks the
// computers whose agent is connected to it with nothing in flight; the
// launch marks their actions sent in its own transaction and hands them
// over in its QueuedEvent, instead of queueing them for each agent to
// claim with a write of its own. Nobody answers in a process without the
// front end (`aula run` on the data directory): everything is queued.
const TopicIdle = "lab.idle"

// IdleQuery asks which computers have an idle agent connected.
type IdleQuery struct {
	Idle map[string]bool // filled by the subscriber
}

// Hello is what an agent announces about itself.
type Hello struct {
	Hostname string `json:"hostname,omitempty"`
	MACs     string `json:"macs,omitempty"` // ;-joined, as OpenGnsys lists them
	IPs      string `json:"ips,omitempty"`
	OS       string `json:"os,omitempty"`
	Version  string `json:"version,omitempty"`
	// Serial is the client certificate's serial (hex), set by the front
	// end from the TLS connection, never from the agent's message.
	Serial string `json:"serial,omitempty"`
}

// Delivery is one action to send to an agent.
type Delivery struct {
	Action int64             `json:"action"`
	Code   int               `json:"code"`
	Name   string            `json:"name"`
	Params map[string]string `json:"params"`
}

// Next is what the agent methods return: the next action for the agent,
// if one is waiting (Action 0: none).
type Next struct {
	Computer string   `json:"computer"`
	Delivery Delivery `json:"delivery"`
}

// Enrolled is what lab.agentEnrol returns: the computer a token was for.
type Enrolled struct {
	Computer string `json:"computer"`
	Identity string `json:"identity"`
	// Claim holds the token while the certificate is delivered: the front
	// end ends the enrolment with lab.agentEnrolEnd (stored or not), which
	// spends the token or frees it for a retry.
	Claim string `json:"claim"`
}

// RetryParam marks an error message (CodeError) whose cause may pass (a
// token another enrolment holds for the moment): the agent tries again.
const RetryParam = "retry"

// CAPin is the pin of a CA certificate that an enrolment token carries
// after its secret ("SECRET.PIN"): the first 16 bytes of the SHA-256 of
// its DER, in hex. An agent with no CA certificate yet trusts the server
// whose chain ends in a CA with this pin, and keeps that CA.
func CAPin(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:16])
}
