package main

import (
	"bytes"
	"strconv"
)

// arrayBody is an XML-RPC call of about size bytes whose one parameter is
// an <array> of <i4> values, as in the attack. The numbers vary (above
// 255, so decoding each one allocates, as real numbers would).
func arrayBody(size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 64)
	b.WriteString("<?xml version=\"1.0\"?><methodCall><methodName>echo.echo</methodName><params><param><value><array><data>")
	const tail = "</data></array></value></param></params></methodCall>"
	for i := 1000; b.Len() < size-len(tail)-32; i++ {
		b.WriteString("<value><i4>")
		b.WriteString(strconv.Itoa(i))
		b.WriteString("</i4></value>")
	}
	b.WriteString(tail)
	return b.Bytes()
}
