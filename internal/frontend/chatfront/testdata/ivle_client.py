#!/usr/bin/env python3
"""IVLE's chat client and its Console wrapper, for the "unchanged client"
test: ivle/chat.py's chat() (the netstring version of Feb 2010) and
ivle/console.py's ExistingConsole, reconstructed from
../shared/spec/chat-protocol.md (§1, §2, §4, §5) and ported to Python 3.
The one deliberate change: where IVLE unpickled values (globals, call,
execute), aula sends JSON, so they are used as they come.

usage: ivle_client.py HOST PORT CONSOLE_MAGIC LOGIN CLIENT_MAGIC
prints one JSON object with what each step got.
"""
import hashlib
import io
import json
import socket
import sys


class ProtocolError(Exception):
    pass


def send_netstring(sok, data):
    sok.sendall(('%d:%s,' % (len(data), data)).encode('utf-8'))


def recv_netstring(sok):
    size = b''
    while True:
        c = sok.recv(1)
        if c == b':':
            break
        if not c or len(size) >= 9:
            raise ProtocolError('Could not read Netstring size in first 9 bytes: %r' % size)
        size += c
    try:
        n = int(size)
    except ValueError:
        raise ProtocolError('Could not decode Netstring size as int: %r' % size)
    data = b''
    while len(data) < n + 1:
        blk = sok.recv(n + 1 - len(data))
        if not blk:
            raise ProtocolError('Netstring cut short')
        data += blk
    if data[-1:] != b',':
        raise ProtocolError("Netstring did not end with ','")
    return data[:-1].decode('utf-8')


def chat(host, port, msg, magic, decode=True):
    sok = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sok.connect((host, port))
    sok.settimeout(60)
    content = json.dumps(msg)
    digest = hashlib.md5((content + magic).encode('utf-8')).hexdigest()
    send_netstring(sok, json.dumps({'content': content, 'digest': digest}))
    inp = recv_netstring(sok)
    sok.close()
    return json.loads(inp) if decode else inp


class ConsoleError(Exception):
    pass


class ConsoleException(Exception):
    pass


class TruncateStringIO(io.StringIO):
    """IVLE's buffer: reading takes what was written and empties it."""

    def read(self, size=-1):
        self.seek(0)
        res = io.StringIO.read(self, size)
        self.seek(0)
        self.truncate(0)
        return res

    def readline(self, size=-1):
        self.seek(0)
        res = io.StringIO.readline(self, size)
        rest = io.StringIO.read(self)
        self.seek(0)
        self.truncate(0)
        self.write(rest)
        return res


class ExistingConsole(object):
    def __init__(self, host, port, magic):
        self.host, self.port, self.magic = host, port, magic
        self.stdin = TruncateStringIO()
        self.stdout = TruncateStringIO()

    def __chat(self, cmd, args):
        try:
            return chat(self.host, self.port, {'cmd': cmd, 'text': args}, self.magic)
        except ValueError:
            raise ConsoleError('Could not understand the python console response')
        except ProtocolError as e:
            raise ConsoleError(*e.args)

    def __handle_chat(self, cmd, args):
        response = self.__chat(cmd, args)
        while 'output' in response or 'input' in response:
            if 'output' in response:
                self.stdout.write(response['output'])
                response = self.chat()
            elif 'input' in response:
                response = self.chat(self.stdin.readline())
        if 'exc' in response:
            raise ConsoleException(response['exc'])
        return response

    def chat(self, code=''):
        return self.__chat('chat', code)

    def block(self, code):
        block = self.__handle_chat('block', code)
        if 'output' in block:
            return block['output']
        elif 'okay' in block:
            return
        raise ConsoleException('Bad response from console: %s' % str(block))

    def globals(self, globs=None):
        return self.__handle_chat('globals', globs)['globals']

    def call(self, function, *args, **kwargs):
        return self.__handle_chat('call', {'function': function, 'args': args, 'kwargs': kwargs})

    def execute(self, code=''):
        return self.__handle_chat('execute', code)

    def set_vars(self, variables):
        vars = {}
        for v in variables:
            vars[v] = repr(variables[v])
        set_vars = self.__handle_chat('set_vars', vars)
        if set_vars.get('response') != 'okay':
            raise ConsoleError('Could not set variables')

    def close(self):
        return self.__chat('terminate', None)


def main():
    host, port, magic, login, client_magic = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    got = {}
    c = ExistingConsole(host, port, magic)
    got['splash'] = chat(host, port, {'cmd': 'splash', 'text': ''}, magic)
    got['first'] = c.chat('1+1\n')
    got['first_end'] = c.chat()
    c.block("print('hello')\nx = 6 * 7\n")
    got['block_out'] = c.stdout.read()
    c.stdin.write('Bob\n')
    c.block("name = input('who? ')\nprint('hi', name)\n")
    got['input_out'] = c.stdout.read()
    try:
        c.block('1/0\n')
        got['raise'] = 'no exception'
    except ConsoleException as e:
        got['raise'] = e.args[0]
    got['execute'] = c.execute('y = x + 1')
    got['call'] = c.call('max', 'x', 'y')
    c.set_vars({'z': [1, 2]})
    g = c.globals()
    got['globals'] = {k: g[k] for k in ('x', 'y', 'z', 'name')}
    got['activate'] = chat(host, port, {'activate_user': {'login': login}}, client_magic)
    got['activate_unknown'] = chat(host, port, {'activate_user': {'login': 'nobody-here'}}, client_magic)
    got['rebuild'] = chat(host, port, {'rebuild_svn_config': {}}, client_magic)
    got['rebuild_group'] = chat(host, port, {'rebuild_svn_group_config': {}}, client_magic)
    try:
        chat(host, port, {'cmd': 'chat', 'text': '1\n'}, 'not the magic')
        got['bad_digest'] = 'answered'
    except ProtocolError as e:
        got['bad_digest'] = str(e)
    got['close'] = c.close()
    got['after_close'] = c.chat('1\n')
    print(json.dumps(got))


main()
