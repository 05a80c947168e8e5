#!/usr/bin/env python3
"""Send one message over IVLE's chat protocol and print the reply (JSON).

usage: scripts/chat.py [--addr HOST:PORT] MAGIC MESSAGE
  MAGIC    the shared secret (a client's, or a console's from console.start)
  MESSAGE  the JSON message, e.g. '{"method": "echo.echo", "params": [1]}'
           or, with a console's magic, '{"cmd": "chat", "text": "1+1\\n"}'
With a console's magic, output and input round trips are followed: output
is printed, input lines are read from stdin, and the final reply is printed.
The framing and digest are the spec's (../shared/spec/chat-protocol.md).
"""
import hashlib
import json
import socket
import sys


def chat(addr, magic, msg):
    host, port = addr.rsplit(':', 1)
    content = json.dumps(msg)
    env = json.dumps({'content': content,
                      'digest': hashlib.md5((content + magic).encode()).hexdigest()})
    with socket.create_connection((host, int(port)), timeout=60) as s:
        s.sendall(b'%d:%s,' % (len(env), env.encode()))
        f = s.makefile('rb')
        size = b''
        while (c := f.read(1)) != b':':
            if not c or len(size) > 9:
                sys.exit('no reply (a bad magic closes the connection without one)')
            size += c
        body = f.read(int(size) + 1)
        if body[-1:] != b',':
            sys.exit('reply cut short')
        return json.loads(body[:-1])


def main():
    args = sys.argv[1:]
    addr = '127.0.0.1:2178'
    if len(args) >= 2 and args[0] == '--addr':
        addr, args = args[1], args[2:]
    if len(args) != 2:
        sys.exit(__doc__)
    magic, msg = args[0], json.loads(args[1])
    reply = chat(addr, magic, msg)
    while isinstance(msg, dict) and 'cmd' in msg and ('output' in reply or 'input' in reply):
        if 'output' in reply:
            sys.stdout.write(reply['output'])
            sys.stdout.flush()
            reply = chat(addr, magic, {'cmd': 'chat', 'text': ''})
        else:
            reply = chat(addr, magic, {'cmd': 'chat', 'text': sys.stdin.readline()})
    print(json.dumps(reply))


main()
