package loadgen

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
)

// DurableHTTP starts a net/http server that appends each request body to a
// file in dir and answers BareReply only once the body is on disk: one
// goroutine writes every body queued by then in one write and one
// fdatasync, then answers them all (group commit with no waiting). It is
// the physics of a durable registration: what any server that keeps each
// acknowledged call across a power cut can do at best here, the ceiling
// a durable write (aula's XML-RPC register) is measured against.
func DurableHTTP(dir string) (*RefServer, error) {
	f, err := os.OpenFile(filepath.Join(dir, "durable-ref.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	type entry struct {
		body []byte
		done chan error
	}
	queue := make(chan entry, 1024)
	quit, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		var buf []byte
		var batch []entry
		for {
			select {
			case e := <-queue:
				batch = append(batch[:0], e)
			case <-quit:
				return
			}
		more:
			for {
				select {
				case e := <-queue:
					batch = append(batch, e)
				default:
					break more
				}
			}
			buf = buf[:0]
			for _, e := range batch {
				buf = append(buf, e.body...)
			}
			_, err := f.Write(buf)
			if err == nil {
				err = syscall.Fdatasync(int(f.Fd()))
			}
			for _, e := range batch {
				e.done <- err
			}
		}
	}()
	rs, err := serveHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		e := entry{body: body, done: make(chan error, 1)}
		select {
		case queue <- e:
		case <-quit:
			return
		}
		select {
		case err = <-e.done:
		case <-quit:
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeBareReply(w)
	}), func() {
		close(quit)
		<-stopped
		f.Close()
	})
	if err != nil {
		close(quit)
		<-stopped
		f.Close()
	}
	return rs, err
}
