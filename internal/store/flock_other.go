//go:build !unix

package store

import (
	"context"
	"errors"
)

// lockFile is only implemented with flock; aula servers run on Unix.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	return nil, errors.New("store: once-per-deployment lock needs a Unix system (flock)")
}
