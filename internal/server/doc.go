// Package server assembles aula's HTTP listeners around a core.App: the mux
// (XML-RPC at / and /RPC2, REST at /api and module routes, /metrics), the
// http.Server timeouts that keep slow clients from holding the server, and
// graceful shutdown (stop accepting, finish in-flight calls, stop modules).
package server
