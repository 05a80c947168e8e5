package backup

import (
	"context"
	"encoding/json"
	"fmt"
)

// The settings and the authorized_keys outcome are JSON in the store's
// key-value namespace "backup".
const (
	kvNamespace = "backup"
	settingsKey = "settings"
	keyStateKey = "authorized_keys"
)

func (s *sqliteRecords) saveSettings(ctx context.Context, set Settings) error {
	return s.put(ctx, settingsKey, set)
}

func (s *sqliteRecords) loadSettings(ctx context.Context) (Settings, bool, error) {
	var set Settings
	ok, err := s.get(ctx, settingsKey, &set)
	if err != nil {
		return Settings{}, false, fmt.Errorf("saved backup settings: %w", err)
	}
	return set, ok, nil
}

func (s *sqliteRecords) saveKeyState(ctx context.Context, st keyState) error {
	return s.put(ctx, keyStateKey, st)
}

func (s *sqliteRecords) loadKeyState(ctx context.Context) (keyState, bool, error) {
	var st keyState
	ok, err := s.get(ctx, keyStateKey, &st)
	return st, ok, err
}

func (s *sqliteRecords) put(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.db.KV(kvNamespace).Put(ctx, key, b)
}

func (s *sqliteRecords) get(ctx context.Context, key string, v any) (bool, error) {
	b, ok, err := s.db.KV(kvNamespace).Get(ctx, key)
	if err != nil || !ok {
		return false, err
	}
	return true, json.Unmarshal(b, v)
}
