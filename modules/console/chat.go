package console

import (
	"context"
	"encoding/json"

	"aula/internal/core"
)

type chatArgs struct {
	Handle string `json:"handle"`
	Cmd    string `json:"cmd"`
	Text   any    `json:"text,omitempty"`
}

func (m *Module) chatMethod() core.Method {
	me := core.Func("chat",
		"Sends one of IVLE's console commands (splash, chat, block, execute, globals, call, setvars, terminate, interrupt) to a console and returns its reply (output, more, okay, exc, input, terminate, ...). Output and input are further round trips: after an output or input reply, send chat (the input line, or \"\") or interrupt.",
		func(ctx context.Context, in chatArgs) (map[string]any, error) { return m.chat(ctx, in) })
	me.Access, me.Secret = core.Authenticated, []string{"handle"}
	return me
}

func (m *Module) chat(ctx context.Context, in chatArgs) (map[string]any, error) {
	m.mu.Lock()
	c := m.byHandle[in.Handle]
	m.mu.Unlock()
	if c == nil {
		if reason, ok := m.ended.get(in.Handle); ok {
			return map[string]any{"terminate": reason}, nil
		}
		return nil, core.Errorf(core.KindNotFound, "no such console (it ended long ago, or never started)")
	}
	if err := mayUse(ctx, c.owner); err != nil {
		return nil, err
	}
	req, err := json.Marshal(chatArgs{Cmd: in.Cmd, Text: in.Text})
	if err != nil {
		return nil, core.Errorf(core.KindInvalid, "text is not JSON: %v", err)
	}
	line, err := c.request(ctx, append(req, '\n'), m.opts.replyWait.Get())
	if err != nil {
		return map[string]any{"terminate": c.reasonText()}, nil
	}
	var reply map[string]any
	if json.Unmarshal(line, &reply) != nil || len(reply) == 0 {
		c.end("Communication lost")
		return map[string]any{"terminate": "Communication lost"}, nil
	}
	if t, ok := reply["terminate"].(string); ok {
		c.reason.CompareAndSwap(nil, &t)
	}
	return reply, nil
}
