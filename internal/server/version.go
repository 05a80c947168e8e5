package server

// Version is set at build time (-ldflags "-X aula/internal/server.Version=...").
var Version = "dev"
