package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"time"

	"aula/internal/config"
	"aula/internal/core"
)

// runModuleCommand runs a module's subcommand either against a running
// server (--url) or on the local data directory.
func runModuleCommand(ctx context.Context, st *stdio, cmd core.Command, args []string) error {
	cfgArgs, cmdArgs := splitArgs(args)
	rt, rest, err := load(cfgArgs, st.err)
	if err != nil {
		return err
	}
	cmdArgs = append(rest, cmdArgs...)
	cx := &core.CmdContext{Stdout: st.out, Stderr: st.err, Config: rt.set}
	if url := rt.opts.url.Get(); url != "" {
		client, err := rt.opts.client.httpClient()
		if err != nil {
			return err
		}
		cx.Call = func(ctx context.Context, method string, named map[string]any, out any) error {
			return restCall(ctx, client, url, method, named, out)
		}
	} else {
		if err := rt.open(ctx); err != nil {
			return err
		}
		defer rt.close()
		cx.Env = rt.env
		cx.Call = func(ctx context.Context, method string, named map[string]any, out any) error {
			return localCall(ctx, rt.app, method, named, out)
		}
	}
	return cmd.Run(ctx, cx, cmdArgs)
}

// splitArgs separates aula's own options (every --name a config option
// knows) from the command's arguments and flags.
func splitArgs(args []string) (cfg, cmd []string) {
	s, _, _, _, err := declareAll()
	if err != nil {
		return nil, args // a wiring bug; load reports it
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			cmd = append(cmd, args[i+1:]...)
			break
		}
		name, _, hasValue := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		info, ok := s.Lookup(name)
		if name == "config" { // handled by config.Load itself, not an option
			ok, info.Kind = true, config.KindString
		}
		if !strings.HasPrefix(a, "--") || !ok {
			cmd = append(cmd, a)
			continue
		}
		cfg = append(cfg, a)
		if !hasValue && info.Kind != config.KindBool && i+1 < len(args) {
			i++
			cfg = append(cfg, args[i])
		}
	}
	return cfg, cmd
}

// localCall runs a method in-process as the local administrator (whoever
// can open the data directory already holds everything in it).
func localCall(ctx context.Context, app *core.App, method string, named map[string]any, out any) error {
	c := &core.Call{Method: method, Named: named, Transport: "cli", Caller: core.LocalCaller()}
	if c.Named == nil {
		c.Named = map[string]any{}
	}
	res, err := app.Handle(ctx, c)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// restCall calls a method on a running server through REST.
func restCall(ctx context.Context, client *http.Client, url, method string, named map[string]any, out any) error {
	if named == nil {
		named = map[string]any{}
	}
	body, err := json.Marshal(named)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	endpoint := strings.TrimRight(url, "/") + "/api/" + method
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return err
	}
	var env struct {
		Success string          `json:"success"`
		Error   string          `json:"error"`
		Result  json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return fmt.Errorf("%s: HTTP %s, not a JSON reply", endpoint, resp.Status)
	}
	if env.Success != "OK" {
		return fmt.Errorf("%s: %s", method, env.Error)
	}
	if out == nil {
		return nil
	}
	if k := reflect.TypeOf(out).Elem().Kind(); k == reflect.Struct || k == reflect.Map {
		return json.Unmarshal(data, out)
	}
	return json.Unmarshal(env.Result, out)
}
