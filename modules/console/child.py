# aula's Python console child: IVLE's python-console, rewritten for Python 3
# and for pipes instead of a TCP port. aula starts it as
#   python3 -I -c BOOT SCRIPT CONFIG
# inside the jail; CONFIG is JSON (limits, home, versions; spare: wait
# for {"assign": {uid, user, home}} before anything else).
#
# Protocol: one JSON object per line. aula writes a request
# {"cmd": c, "text": t} on stdin; the child writes one reply on stdout.
# While user code runs, output and input are extra round trips (spec §5.1):
# the child writes {"output": s} or {"input": null} and reads the next
# request before going on. Exit codes: 0 asked to, 3 memory limit, 4 CPU
# limit, 2 bad start.

import builtins
import codeop
import json
import os
import resource
import signal
import sys

SCRIPT = '<aula-console>'


class Interrupt(Exception):
    def __init__(self):
        Exception.__init__(self, 'Interrupted!')


class CPULimit(BaseException):
    """Raised from the SIGXCPU handler; not an Exception, so user code's
    `except Exception` does not swallow it."""


class Wire(object):
    """The request/reply pipe pair, on private descriptors."""

    def __init__(self):
        self.rin = os.fdopen(os.dup(0), 'rb')
        self.wout = os.dup(1)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.close(null)

    def send(self, obj):
        data = (json.dumps(obj) + '\n').encode('ascii')
        while data:
            n = os.write(self.wout, data)
            data = data[n:]

    def recv(self):
        line = self.rin.readline()
        if not line:
            os._exit(0)  # aula closed the pipe: it is done with us
        return json.loads(line.decode('utf-8'))


def incomplete_utf8(b):
    """Count of bytes at the end of b that start an unfinished UTF-8
    character (0 when b ends on a character boundary)."""
    for back in range(1, min(4, len(b)) + 1):
        c = b[-back]
        if c & 0xC0 == 0x80:
            continue  # continuation byte: look further back
        need = 2 if c & 0xE0 == 0xC0 else 3 if c & 0xF0 == 0xE0 else 4 if c & 0xF8 == 0xF0 else 1
        return back if need > back else 0
    return 0


class WebIO(object):
    """sys.stdin, sys.stdout and sys.stderr of user code: output goes out
    in round trips (held under 128 bytes, 512-byte blocks when over 512,
    else whole lines); readline asks for a line."""

    encoding = 'utf-8'
    errors = 'replace'

    def __init__(self, wire):
        self.wire = wire
        self.pending = b''

    def isatty(self):
        return False

    def writable(self):
        return True

    def readable(self):
        return True

    def fileno(self):
        raise OSError('the console has no file descriptor')

    def roundtrip(self, reply):
        """Send reply, wait for the client's next request, and return its
        text; interrupt raises Interrupt in user code."""
        self.wire.send(reply)
        req = self.wire.recv()
        cmd = req.get('cmd')
        if cmd == 'terminate':
            self.wire.send({'terminate': 'User requested restart'})
            os._exit(0)
        if cmd == 'interrupt':
            raise Interrupt()
        return req.get('text')

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError('write() argument must be str, not %s' % type(s).__name__)
        self.pending += s.encode('utf-8', 'replace')
        if len(self.pending) < 128:
            return len(s)
        while len(self.pending) > 512:
            cut = 512 - incomplete_utf8(self.pending[:512])
            block, self.pending = self.pending[:cut], self.pending[cut:]
            self.roundtrip({'output': block.decode('utf-8', 'replace')})
        nl = self.pending.rfind(b'\n')
        if nl >= 0:
            lines, self.pending = self.pending[:nl + 1], self.pending[nl + 1:]
            self.roundtrip({'output': lines.decode('utf-8', 'replace')})
        return len(s)

    def flush(self):
        if self.pending:
            cut = len(self.pending) - incomplete_utf8(self.pending)
            out, self.pending = self.pending[:cut], self.pending[cut:]
            if out:
                self.roundtrip({'output': out.decode('utf-8', 'replace')})

    def readline(self, size=-1):
        self.flush()
        text = self.roundtrip({'input': None})
        return text if isinstance(text, str) else ''


def format_exc():
    """The traceback of the exception being handled, without the console's
    own frames."""
    import traceback  # here, not at start-up: a console that never fails never pays for it
    etype, value, tb = sys.exc_info()
    frames = [f for f in traceback.extract_tb(tb)
              if f.filename != SCRIPT and not f.filename.endswith('codeop.py')]
    out = ['Traceback (most recent call last):\n']
    out += traceback.format_list(frames)
    out += traceback.format_exception_only(etype, value)
    return ''.join(out)


def jsonable(v):
    """v as a JSON value: itself when JSON can carry it, else a description
    (where IVLE pickled objects, aula sends JSON)."""
    try:
        json.dumps(v)
        return v
    except (TypeError, ValueError, RecursionError):
        d = {'type': type(v).__name__, 'repr': repr(v)[:1000]}
        name = getattr(v, '__name__', None)
        if isinstance(name, str):
            d['name'] = name
        return d


def exception_value(e):
    return {'type': type(e).__name__, 'value': str(e)}


class Console(object):
    def __init__(self, wire, version):
        self.wire = wire
        self.version = version
        self.io = WebIO(wire)
        self.globs = {'__name__': '__main__'}
        self.buffer = ''
        self.cc = codeop.CommandCompiler()

    def run_code(self, code):
        """Run compiled user code: {"okay": null} or {"exc": traceback}."""
        try:
            exec(code, self.globs)
            self.io.flush()
            return {'okay': None}
        except (CPULimit, MemoryError):
            raise
        except BaseException:
            tb = format_exc()
            self.io.flush()
            return {'exc': tb}

    def splash(self, text):
        py = '.'.join(str(v) for v in sys.version_info[:3])
        return {'output': 'IVLE %s Python Console (Python %s)\n'
                          'Type "help", "copyright", "credits" or "license" for more information.\n'
                          % (self.version, py)}

    def chat(self, text):
        text = text if isinstance(text, str) else ''
        self.buffer = text if self.buffer == '' else self.buffer + '\n' + text
        src = self.buffer
        # One trailing newline ends a line, two end a block: codeop would
        # end the block on one, so drop a single one.
        if src.endswith('\n') and not src.endswith('\n\n'):
            src = src[:-1]
        try:
            code = self.cc(src, '<web session>')
        except (CPULimit, MemoryError):
            raise
        except BaseException:
            self.buffer = ''
            tb = format_exc()
            self.io.flush()
            return {'exc': tb}
        if code is None:
            return {'more': None}
        self.buffer = ''
        return self.run_code(code)

    def block(self, text):
        self.buffer = ''
        try:
            code = compile(text, '<web session>', 'exec')
        except (CPULimit, MemoryError):
            raise
        except BaseException:
            return {'exc': format_exc()}
        return self.run_code(code)

    def execute(self, text):
        self.buffer = ''
        reply = {'okay': None}
        try:
            exec(compile(text, '<web session>', 'exec'), self.globs)
        except (CPULimit, MemoryError):
            raise
        except BaseException as e:
            reply = {'exception': exception_value(e)}
        self.io.flush()
        return reply

    def globals_(self, text):
        if isinstance(text, dict):
            self.globs = {'__name__': '__main__'}
            self.globs.update(text)
        return {'globals': {k: jsonable(v) for k, v in self.globs.items() if k != '__builtins__'}}

    def call(self, text):
        self.buffer = ''
        if not isinstance(text, dict):
            return {'response': 'failure'}
        reply = {}
        try:
            args = [self.eval(a) for a in text.get('args') or []] if isinstance(text.get('args'), list) else []
            kw = text.get('kwargs')
            kwargs = {k: self.eval(v) for k, v in kw.items()} if isinstance(kw, dict) else {}
            fn = self.eval(text['function'])
            try:
                reply['result'] = jsonable(fn(*args, **kwargs))
            except (CPULimit, MemoryError):
                raise
            except Exception as e:
                reply['exception'] = {'traceback': format_exc(), 'except': exception_value(e)}
        except (CPULimit, MemoryError):
            raise
        except Exception:
            reply = {'exc': format_exc()}
        self.io.flush()
        return reply

    def setvars(self, text):
        # IVLE's client sends cmd "set_vars" with the map itself and wants
        # {"response": "okay"}; its server wanted "setvars" and
        # {"set_vars": map}. Take both, answer both.
        names = text.get('set_vars', text) if isinstance(text, dict) else {}
        for name, expr in names.items():
            try:
                self.globs[name] = self.eval(expr)
            except (CPULimit, MemoryError):
                raise
            except Exception:
                return {'exc': format_exc()}
        return {'okay': None, 'response': 'okay'}

    def eval(self, source):
        return eval(source, self.globs)

    def serve(self):
        actions = {'splash': self.splash, 'chat': self.chat, 'block': self.block,
                   'execute': self.execute, 'globals': self.globals_, 'call': self.call,
                   'setvars': self.setvars, 'set_vars': self.setvars}
        while True:
            req = self.wire.recv()
            cmd = req.get('cmd')
            if cmd == 'terminate':
                self.wire.send({'terminate': 'User requested restart'})
                os._exit(0)
            handler = actions.get(cmd)
            if handler is None:
                reply = {'error': 'KeyError(%r,)' % (cmd,)}  # IVLE's (Python 2) repr
            else:
                try:
                    reply = handler(req.get('text'))
                except CPULimit:
                    self.wire.send({'terminate': 'CPU time limit exceeded'})
                    os._exit(4)
                except MemoryError:
                    self.globs = None
                    self.wire.send({'terminate': 'Memory limit exceeded'})
                    os._exit(3)
                except Exception as e:
                    reply = {'error': repr(e)}
            self.wire.send(reply)


def on_xcpu(signum, frame):
    raise CPULimit()


def set_limits(lim):
    for name, (soft, hard) in lim.items():
        resource.setrlimit(getattr(resource, 'RLIMIT_' + name.upper()), (soft, hard))


def main():
    cfg = json.loads(sys.argv[2])  # argv: -c, this script, CONFIG
    wire = Wire()
    try:
        if cfg.get('dirfd') is not None:
            os.fchdir(cfg['dirfd'])
            os.close(cfg['dirfd'])
        set_limits(cfg['limits'])
        if cfg.get('spare'):
            # Started ahead: wait, limited and doing nothing, to be given a
            # user (a spare is still root, holding only CAP_SETUID and
            # CAP_SETGID, and reads nothing but aula's pipe).
            wire.send({'spare': os.getpid()})
            assign = wire.recv().get('assign')
            cfg.update({'uid': int(assign['uid']), 'user': str(assign['user']), 'home': str(assign['home'])})
        if cfg.get('uid') is not None:
            # Privileged bubblewrap left us CAP_SETUID/CAP_SETGID for this:
            # drop to the user's uid for good before any request is read.
            uid = cfg['uid']
            if uid <= 0:
                raise OSError('refusing uid %d' % uid)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            if os.getuid() != uid or os.geteuid() != uid:
                raise OSError('could not drop to uid %d' % uid)
        if cfg.get('spare'):
            os.chdir(cfg['home'])  # as the user: the directory is 0700, its own
    except Exception as e:
        wire.send({'fatal': 'console could not start: %r' % (e,)})
        os._exit(2)
    home = cfg.get('home') or os.getcwd()
    os.environ.clear()
    os.environ.update({'PATH': '/usr/local/bin:/usr/bin:/bin', 'HOME': home,
                       'USER': cfg.get('user', ''), 'LOGNAME': cfg.get('user', '')})
    sys.path.insert(0, '')  # user modules in the working directory import
    signal.signal(signal.SIGXCPU, on_xcpu)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    console = Console(wire, cfg.get('version', 'aula'))
    sys.stdin = sys.stdout = sys.stderr = console.io
    builtins.quit = builtins.exit = sys.exit
    wire.send({'ready': os.getpid()})
    console.serve()


main()
