package core

import (
	"context"
	"sync"
)

// Event topics published by the core's own modules.
const (
	// TopicClientRegistered carries a ClientEvent when a laptop registers
	// (or registers again).
	TopicClientRegistered = "client.registered"
	// TopicClientRemoved carries a ClientEvent when a registration ends
	// (removed by the admin, or superseded by a new uuid for its serial).
	TopicClientRemoved = "client.removed"
)

// ClientEvent is the payload of the client topics.
type ClientEvent struct {
	UID    string
	UUID   string
	Serial string
	PubKey string // base64 blob, no type prefix
}

// Event is one published fact.
type Event struct {
	Topic string
	Data  any
}

// Events is a small in-process publish/subscribe bus. Delivery is
// synchronous, in subscription order, so a subscriber sees events in the
// order they happened; a subscriber with slow work should hand it off.
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
