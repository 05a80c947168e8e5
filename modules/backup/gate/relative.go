package gate

import (
	"bytes"
	"io"
	"strings"
)

// The client must not learn where the server keeps its data: rsync names
// files by the absolute paths the gate gave it ("change_dir
// "/var/lib/aula/backup/<uid>/current/x" failed"), and the gate's own
// errors name directories it could not make. Everything the client reads
// is rewritten so that the client's directory is "." and paths under it
// are relative to it ("current/x"): its area, as seen from inside.
//
// rsync's messages are made to travel on its stderr, never inside the
// protocol stream (which also carries file data, not to be touched):
// the gate runs rsync with --msgs2stderr (the client's own choice of
// --msgs2stderr or --no-msgs2stderr is dropped; it only moves messages
// between the two streams), and Run passes stderr through a rewriter.

// forcedMessages is the message option the gate always gives rsync.
const forcedMessages = "--msgs2stderr"

// Relative rewrites the server's paths in a message for the client.
func (p *Plan) Relative(msg string) string {
	if p.ClientDir == "" {
		return msg
	}
	msg = strings.ReplaceAll(msg, p.ClientDir+"/", "")
	return strings.ReplaceAll(msg, p.ClientDir, ".")
}

// clientError carries an error to the client with the paths rewritten; the
// original stays reachable (errors.As finds a *RefusedError inside).
type clientError struct {
	msg string
	err error
}

func (e *clientError) Error() string { return e.msg }
func (e *clientError) Unwrap() error { return e.err }

func (p *Plan) clientError(err error) error {
	if err == nil {
		return nil
	}
	return &clientError{msg: p.Relative(err.Error()), err: err}
}

// maxLine bounds what the rewriter holds back waiting for a newline.
const maxLine = 64 << 10

// relativeWriter rewrites complete lines with Plan.Relative on their way
// to w (rsync writes its messages a line at a time).
type relativeWriter struct {
	w   io.Writer
	p   *Plan
	buf []byte
}

func (r *relativeWriter) Write(b []byte) (int, error) {
	r.buf = append(r.buf, b...)
	for {
		i := bytes.IndexByte(r.buf, '\n')
		if i < 0 {
			break
		}
		if err := r.emit(r.buf[:i+1]); err != nil {
			return len(b), err
		}
		r.buf = r.buf[i+1:]
	}
	if len(r.buf) > maxLine {
		return len(b), r.Flush()
	}
	return len(b), nil
}

// Flush writes what is held back without a newline.
func (r *relativeWriter) Flush() error {
	if len(r.buf) == 0 {
		return nil
	}
	err := r.emit(r.buf)
	r.buf = r.buf[:0]
	return err
}

func (r *relativeWriter) emit(line []byte) error {
	_, err := io.WriteString(r.w, r.p.Relative(string(line)))
	return err
}
