// Package server is what the server process and its HTTP front end share:
// HTTP listeners serving a handler with the http.Server timeouts that keep
// slow clients from holding the server and graceful shutdown (HTTP), the
// TLS configuration every TLS listener uses, the privilege drop and the
// pidfile. What is served lives in internal/frontend/...
package server
