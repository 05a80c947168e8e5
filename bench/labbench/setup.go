package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"aula/internal/ca"
	"aula/internal/core"
	"aula/internal/store"
	"aula/modules/lab/labapi"
)

// setup makes the CA, a lab "bench" with n computers whose agents are
// enrolled, and a client certificate per agent (signed directly with the
// CA key: issuing 10,000 through the CA's index would measure the index).
func setup(dir string, n int) ([]tls.Certificate, error) {
	ctx := context.Background()
	if _, err := ca.Init(filepath.Join(dir, "ca"), "labbench CA"); err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	app, err := core.NewApp(log, "lab")
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, store.Options{Dir: dir})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := app.Provision(ctx, &core.Env{App: app, Store: db, Log: log, Events: app.Events, DataDir: dir}); err != nil {
		return nil, err
	}
	admin := core.LocalCaller()
	if _, err := app.Handle(ctx, &core.Call{Method: "lab.labAdd", Named: map[string]any{"name": "bench"}, Transport: "cli", Caller: admin}); err != nil {
		return nil, err
	}
	var csv strings.Builder
	for i := range n {
		fmt.Fprintf(&csv, "%s,,,bench\n", pcName(i))
	}
	if _, err := app.Handle(ctx, &core.Call{Method: "lab.computerImport", Named: map[string]any{"csv": csv.String()}, Transport: "cli", Caller: admin}); err != nil {
		return nil, err
	}
	if err := db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE lab_computers SET identity = '"+labapi.IdentityPrefix+"' || name")
		return err
	}); err != nil {
		return nil, err
	}
	return clientCerts(filepath.Join(dir, "ca"), n)
}

func pcName(i int) string { return fmt.Sprintf("pc%05d", i) }

func clientCerts(caDir string, n int) ([]tls.Certificate, error) {
	caCert, caKey, err := loadCA(caDir)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	out := make([]tls.Certificate, n)
	for i := range n {
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i) + 1000), Subject: pkix.Name{CommonName: labapi.Identity(pcName(i))},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
			AuthorityKeyId: caCert.SubjectKeyId,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			return nil, err
		}
		out[i] = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	}
	return out, nil
}

func loadCA(dir string) (*x509.Certificate, any, error) {
	cb, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		return nil, nil, err
	}
	kb, err := os.ReadFile(filepath.Join(dir, "ca.key"))
	if err != nil {
		return nil, nil, err
	}
	cblk, _ := pem.Decode(cb)
	kblk, _ := pem.Decode(kb)
	if cblk == nil || kblk == nil {
		return nil, nil, errors.New("CA files are not PEM")
	}
	cert, err := x509.ParseCertificate(cblk.Bytes)
	if err != nil {
		return nil, nil, err
	}
	key, err := x509.ParsePKCS8PrivateKey(kblk.Bytes)
	return cert, key, err
}

func caPool(dataDir string) (*x509.CertPool, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "ca", "ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, errors.New("ca.crt holds no certificate")
	}
	return pool, nil
}
