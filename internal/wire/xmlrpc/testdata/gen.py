#!/usr/bin/env python3
"""Writes the golden XML-RPC documents in this directory exactly as Python's
xmlrpc.client produces them. Run from this directory: python3 gen.py"""
from datetime import datetime
from xmlrpc.client import dumps, Fault, DateTime, Binary

calls = {
    "call_noparams": ((), "system.listMethods"),
    "call_int": ((42, -7, 0, 2**31 - 1, -2**31), "math.ints"),
    "call_bool": ((True, False), "flags"),
    "call_string": (("hello", "", "a & b < c > d ]]>", "ünïcödé ✓ 😀", "  spaced  ",
                     "line1\nline2\ttab", "quote\" apos'"), "echo"),
    "call_double": ((1.5, -0.0, 1e16, 1e-7, 3.141592653589793, 1e300, 0.1, 2.0), "math.doubles"),
    "call_double_special": ((float("inf"), float("-inf"), float("nan")), "math.special"),
    "call_datetime": ((datetime(2024, 1, 2, 3, 4, 5), DateTime("19991231T23:59:59")), "when"),
    "call_base64": ((b"", b"\x00\x01\xff", Binary(bytes(range(256)))), "blob.put"),
    "call_struct": (({"name": "x", "n": 1, "nested": {"a": [1, 2, {"b": "c"}]}, "empty": {}},), "struct.take"),
    "call_array": (([1, "two", 3.0, [True, []], {}],), "array.take"),
    "call_nil": ((None, [None]), "nil.take"),
    "call_multicall": (([{"methodName": "echo.echo", "params": ["hi"]},
                          {"methodName": "system.listMethods", "params": []}],), "system.multicall"),
    "call_register": (("SHF00000000", "Pepe", "ssh-dss AAAAB3NzaC1kc3MAAACBAO", "b3fda1c2-uuid"), "register"),
}

for name, (params, method) in calls.items():
    with open(name + ".xml", "w", encoding="utf-8", newline="") as f:
        f.write(dumps(params, method, allow_none=True))

# A client set to Latin-1 declares it and sends Latin-1 bytes.
with open("call_latin1.xml", "wb") as f:
    f.write(dumps(("café ñ €",), "echo", encoding="iso-8859-1").encode("iso-8859-1", "xmlcharrefreplace"))

responses = {
    "resp_string": ("hello",),
    "resp_struct": ({"ok": True, "id": 7, "tags": ["a", "b"], "when": datetime(2001, 2, 3, 4, 5, 6)},),
    "resp_nil": (None,),
    "resp_multicall": ([[1], {"faultCode": 1, "faultString": "boom"}],),
    "resp_fault": Fault(-32601, "Unknown method x"),
    "resp_fault_python": Fault(1, "<class 'Exception'>:method \"x\" is not supported"),
}

for name, params in responses.items():
    with open(name + ".xml", "w", encoding="utf-8", newline="") as f:
        f.write(dumps(params, methodresponse=True, allow_none=True))
