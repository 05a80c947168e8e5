package integration

import (
	"strings"
	"testing"
)

// TestPythonXMLRPCInterop drives the server with Python 3's stdlib
// xmlrpc.client exactly as Sugar, Bcfg2 and Clarens clients do.
func TestPythonXMLRPCInterop(t *testing.T) {
	s := startServer(t, "")
	out := python(t, pyInterop, "URL="+s.url(), "XSURL="+s.xsURL())
	if !strings.Contains(out, "ALL OK") {
		t.Fatalf("python said: %s", out)
	}
}

const pyInterop = `
import os, datetime, xmlrpc.client as x, http.client, urllib.parse, gzip

url = os.environ["URL"]
p = x.ServerProxy(url)
pn = x.ServerProxy(url + "RPC2", allow_none=True, use_builtin_types=True)

# introspection
names = p.system.listMethods()
assert "echo.echo" in names and "system.methodHelp" in names, names
assert p.system.methodSignature("echo.hostname") == [["array"]], p.system.methodSignature("echo.hostname")
assert p.system.methodSignature("no.such") == "signatures not supported"
assert "arguments" in p.system.methodHelp("echo.echo")
assert p.system.methodHelp("no.such") == ""
assert p.system.list_methods() == names

# echo of every type, nested
now = datetime.datetime(2024, 1, 2, 3, 4, 5)
vals = [1, -2**31, 2**31-1, True, False, "héllo <&>", "", 1.5, -0.0, 1e300,
        x.DateTime(now), x.Binary(b"\x00\xffbin"), [1, [2, [3, "deep"]]],
        {"a": 1, "b": {"c": [True, {"d": "e"}]}, "": "empty key"}, []  , {}]
got = p.echo.echo(*vals)
assert len(got) == len(vals), got
for a, b in zip(vals, got):
    assert a == b, (a, b)
assert p.echo.echo() == []
assert p.echo.echo("hi") == ["hi"]

# nil, i8 and builtin types with allow_none
got = pn.echo.echo(None, [None, {"k": None}], b"raw", now)
assert got == [None, [None, {"k": None}], b"raw", now], got
i8 = '<?xml version="1.0"?><methodCall><methodName>echo.echo</methodName><params><param><value><i8>9007199254740993</i8></value></param></params></methodCall>'
conn = http.client.HTTPConnection(urllib.parse.urlparse(url).netloc)
conn.request("POST", "/", i8, {"Content-Type": "text/xml"})
r = conn.getresponse(); body = r.read()
assert r.status == 200 and b"<i8>9007199254740993</i8>" in body, body
assert x.loads(body)[0][0] == [9007199254740993]

# multicall, with a fault in the middle
mc = x.MultiCall(p)
mc.echo.echo("one")
mc.no.such()
mc.system.methodHelp("echo.echo")
res = mc()
assert res[0] == ["one"]
try:
    res[1]; assert False, "fault entry did not raise"
except x.Fault as f:
    assert f.faultCode == -32601 and "no.such" in f.faultString, f
assert "arguments" in res[2]

# fault codes
def fault(fn, code, text=""):
    try:
        fn(); assert False, "no fault"
    except x.Fault as f:
        assert f.faultCode == code, (f.faultCode, f.faultString, code)
        assert text in f.faultString, (f.faultString, text)

fault(lambda: p.no.such(), -32601, "unknown method no.such")
fault(lambda: p.system.methodHelp(), -32602, "expected 1 params")
fault(lambda: p.system.methodHelp(5), -32602, "param 1 (name): expected string, got int")
def raw(body, headers={"Content-Type": "text/xml"}):
    c = http.client.HTTPConnection(urllib.parse.urlparse(url).netloc)
    c.request("POST", "/RPC2", body, headers)
    r = c.getresponse(); b = r.read(); c.close()
    return r.status, b
st, b = raw("<methodCall><methodName>echo.echo</methodName><params><param><value><int>1</value></param></params>")
assert st == 200
try:
    x.loads(b); assert False
except x.Fault as f:
    assert f.faultCode == -32700, f
st, b = raw("<notACall/>")
try:
    x.loads(b); assert False
except x.Fault as f:
    assert f.faultCode == -32600, f
st, b = raw("<methodCall><methodName>echo.echo</methodName><params>" + "<param><value><string>" + "A"*(5<<20) + "</string></value></param></params></methodCall>")
try:
    x.loads(b); assert False
except x.Fault as f:
    assert f.faultCode == -32700 and "limit" in f.faultString, f
# gzip request body, and a gzip reply for a big result
big = "x" * 5000
st, b = raw(gzip.compress(x.dumps((big,), "echo.echo").encode()), {"Content-Type": "text/xml", "Content-Encoding": "gzip"})
assert st == 200 and x.loads(b)[0][0] == [big]
c = http.client.HTTPConnection(urllib.parse.urlparse(url).netloc)
c.request("POST", "/", x.dumps((big,), "echo.echo"), {"Content-Type": "text/xml", "Accept-Encoding": "gzip"})
r = c.getresponse(); b = r.read()
assert r.getheader("Content-Encoding") == "gzip" and x.loads(gzip.decompress(b))[0][0] == [big]
# the server still serves after all that
assert p.echo.echo("still here") == ["still here"]

# HTTP/1.0 client, one request per connection, as old peers do
class H10(http.client.HTTPConnection):
    _http_vsn = 10; _http_vsn_str = "HTTP/1.0"
c = H10(urllib.parse.urlparse(url).netloc)
c.request("POST", "/", x.dumps(("old",), "echo.echo"), {"Content-Type": "text/xml"})
r = c.getresponse(); b = r.read()
assert r.status == 200 and r.getheader("Content-Length") and x.loads(b)[0][0] == ["old"]

# keep-alive: several calls on one connection
c = http.client.HTTPConnection(urllib.parse.urlparse(url).netloc)
for i in range(5):
    c.request("POST", "/", x.dumps((i,), "echo.echo"), {"Content-Type": "text/xml"})
    r = c.getresponse(); assert x.loads(r.read())[0][0] == [i]

# the XS listener serves the same handler
assert x.ServerProxy(os.environ["XSURL"]).echo.echo("xs") == ["xs"]
print("ALL OK")
`
