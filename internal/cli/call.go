package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"aula/internal/wire/xmlrpc"
)

// runCall is a small XML-RPC client: ARGs are JSON values where they parse
// as JSON, plain strings otherwise; the result is printed as indented JSON.
func runCall(ctx context.Context, st *stdio, args []string) error {
	rt, rest, err := load(args, st.err)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usageError{"missing METHOD"}
	}
	params := make([]any, 0, len(rest)-1)
	for _, a := range rest[1:] {
		params = append(params, parseArg(a))
	}
	listen := ""
	if o, ok := rt.set.Lookup("listen"); ok { // the HTTP front end's, when in the binary
		listen = o.Text
	}
	url := serverURL(rt.opts.url.Get(), listen)
	client, err := rt.opts.client.httpClient()
	if err != nil {
		return err
	}
	out, err := xmlrpcCall(ctx, client, url, rest[0], params)
	if err != nil {
		return err
	}
	return printValue(st.out, out)
}

// parseArg reads a command-line argument as a JSON value, falling back to
// the plain string.
func parseArg(a string) any {
	dec := json.NewDecoder(strings.NewReader(a))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return a
	}
	return fromJSON(v)
}

// fromJSON turns json.Number into int (or float64) for the XML-RPC encoder.
func fromJSON(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := t.Int64(); err == nil {
			if i == int64(int32(i)) {
				return int(i)
			}
			return i
		}
		f, _ := t.Float64()
		return f
	case []any:
		for i := range t {
			t[i] = fromJSON(t[i])
		}
	case map[string]any:
		for k := range t {
			t[k] = fromJSON(t[k])
		}
	}
	return v
}

// serverURL is --url, or the local main listener.
func serverURL(url, listen string) string {
	if url != "" {
		return url
	}
	host, port, _ := strings.Cut(listen, ":")
	if host == "" || host == "0.0.0.0" || host == "[::]" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "8000"
	}
	return "http://" + host + ":" + port + "/"
}

func xmlrpcCall(ctx context.Context, client *http.Client, url, method string, params []any) (any, error) {
	var body bytes.Buffer
	if err := xmlrpc.EncodeCall(&body, method, params); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, &body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("%s: HTTP %s: %s", url, resp.Status, strings.TrimSpace(string(msg)))
	}
	return xmlrpc.DecodeResponse(resp.Body, 64<<20)
}

// printValue prints an XML-RPC value readably: JSON, with base64 for
// binary and RFC 3339 for times.
func printValue(w io.Writer, v any) error {
	b, err := json.MarshalIndent(toPrintable(v), "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

func toPrintable(v any) any {
	switch t := v.(type) {
	case []byte:
		return "base64:" + base64.StdEncoding.EncodeToString(t)
	case time.Time:
		return t.Format(time.RFC3339)
	case []any:
		out := make([]any, len(t))
		for i := range t {
			out[i] = toPrintable(t[i])
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(t))
		for k := range t {
			out[k] = toPrintable(t[k])
		}
		return out
	}
	return v
}
