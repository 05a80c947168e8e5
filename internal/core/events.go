package core

import (
	"context"
	"sync"
)

// Event is one published fact.
type Event struct {
	Topic string
	Data  any
}

// Events is a small in-process publish/subscribe bus. It knows no topic:
// a module that publishes defines its topics and payload types in its own
// API package (for example modules/id/idapi), and subscribers import that.
// Delivery is synchronous, in subscription order, so a subscriber sees
// events in the order they happened; a subscriber with slow work should
// hand it off, and must not call back into the publisher in a way that
// waits for the publication to finish.
type Events struct {
	mu   sync.RWMutex
	subs map[string][]func(context.Context, Event)
}

// Subscribe registers fn for a topic.
func (e *Events) Subscribe(topic string, fn func(context.Context, Event)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.subs == nil {
		e.subs = map[string][]func(context.Context, Event){}
	}
	e.subs[topic] = append(e.subs[topic], fn)
}

// Publish delivers an event to every subscriber of its topic.
func (e *Events) Publish(ctx context.Context, topic string, data any) {
	e.mu.RLock()
	subs := e.subs[topic]
	e.mu.RUnlock()
	for _, fn := range subs {
		fn(ctx, Event{Topic: topic, Data: data})
	}
}
