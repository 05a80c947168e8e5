package idlepoll

import (
	"net"
	"sync"

	"golang.org/x/sys/unix"
)

// Poller watches idle sockets; its methods may be called concurrently.
type Poller struct {
	epfd int
	wake int // eventfd: Close wakes the loop through it

	mu     sync.Mutex // guards waits and closed, and the epoll set while registering
	waits  map[uint64]*Wait
	lastID uint64 // ids are never reused: an event for a stopped wait finds nothing
	closed bool
	done   chan struct{} // closed when the loop has ended and the descriptors are closed
}

// Wait is one pending wait for a socket.
type Wait struct {
	p     *Poller
	id    uint64
	ready func()
}

// wakeID is the event data of the Poller's own eventfd.
const wakeID = 0

// New starts a Poller and its goroutine.
func New() (*Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN}
	setID(&ev, wakeID)
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wake, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(wake)
		return nil, err
	}
	p := &Poller{epfd: epfd, wake: wake, waits: map[uint64]*Wait{}, done: make(chan struct{})}
	go p.loop()
	return p, nil
}

// Wait runs ready in a new goroutine once c has a byte to read, has ended
// or failed (see the package comment). c must have no other Wait pending.
// An error means c is not watched and ready will not run: ErrUnsupported
// (not a socket), ErrClosed, or c's own error (closed already).
func (p *Poller) Wait(c net.Conn, ready func()) (*Wait, error) {
	raw, err := RawConn(c)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	p.lastID++
	w := &Wait{p: p, id: p.lastID, ready: ready}
	// Registered under mu, inside Control, which holds c's descriptor open:
	// the number cannot be closed and reused by another socket meanwhile,
	// nor the epoll descriptor closed by Close. A socket watched before
	// keeps its (disarmed) entry until it is closed: MOD re-arms it.
	var cerr error
	err = raw.Control(func(fd uintptr) {
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT}
		setID(&ev, w.id)
		cerr = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, int(fd), &ev)
		if cerr == unix.ENOENT {
			cerr = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, int(fd), &ev)
		}
	})
	if err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	p.waits[w.id] = w
	return w, nil
}

// Stop cancels the wait. It reports whether it did so before ready was
// started; false means ready has run or is running. After a true Stop the
// socket may still be in the epoll set, disarmed or armed for an event
// that will find no wait: it leaves the set when it is closed.
func (w *Wait) Stop() bool {
	p := w.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.waits[w.id] != w {
		return false
	}
	delete(p.waits, w.id)
	return true
}

// Pending is the number of waits not yet fired or stopped.
func (p *Poller) Pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.waits)
}

// Close stops the Poller: every wait still pending has its ready run (each
// in its own goroutine), so a connection closed without Stop still gets
// noticed. Close returns once the loop has ended; later Waits fail with
// ErrClosed.
func (p *Poller) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.done
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	var one [8]byte
	one[0] = 1 // eventfd counts in host order; any nonzero value wakes it
	if _, err := unix.Write(p.wake, one[:]); err != nil {
		return err
	}
	<-p.done
	return nil
}

// loop waits for events and starts the ready of each wait that fired.
func (p *Poller) loop() {
	defer close(p.done)
	events := make([]unix.EpollEvent, 256)
	for {
		n, err := unix.EpollWait(p.epfd, events, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			// Cannot happen with a valid epoll descriptor and buffer; end
			// as Close would, so no wait is left without its ready.
			p.mu.Lock()
			p.closed = true
			p.mu.Unlock()
			p.fireAll()
			return
		}
		for i := range events[:n] {
			id := getID(&events[i])
			if id == wakeID {
				p.fireAll()
				return
			}
			p.mu.Lock()
			w := p.waits[id]
			delete(p.waits, id)
			p.mu.Unlock()
			if w != nil {
				go w.ready()
			}
		}
	}
}

// fireAll runs every pending wait's ready and closes the descriptors (mu
// serialises this with registration: closed is set, so no Wait registers
// after it).
func (p *Poller) fireAll() {
	p.mu.Lock()
	waits := p.waits
	p.waits = map[uint64]*Wait{}
	unix.Close(p.epfd)
	unix.Close(p.wake)
	p.mu.Unlock()
	for _, w := range waits {
		go w.ready()
	}
}

// setID and getID keep a wait's id in the event's 8 bytes of user data.
func setID(ev *unix.EpollEvent, id uint64) {
	ev.Fd = int32(uint32(id))
	ev.Pad = int32(uint32(id >> 32))
}

func getID(ev *unix.EpollEvent) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}
