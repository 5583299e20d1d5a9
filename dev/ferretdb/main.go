// Command ferretdb is the embedded MongoDB-compatible server used by dev/database.ts
// when neither MONGODB_URI nor mongodb-memory-server is available (offline machines, CI).
//
// We build our own main instead of `go install .../cmd/ferretdb@v1.24.2` because that binary
// panics at start: its build/version/version.txt is not part of the published module.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:0", "TCP address to listen on (port 0 picks a free port)")
	listenUnix := flag.String("listen-unix", "", "Unix domain socket path to listen on as well (empty: none)")
	sqliteURL := flag.String("sqlite-url", "file:data/", "SQLite directory URL (existing directory, trailing slash)")
	parentStdin := flag.Bool("exit-on-stdin-eof", false, "exit when stdin closes, so the server dies with its parent even on SIGKILL")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen, Unix: *listenUnix},
		Handler:   "sqlite",
		SQLiteURL: *sqliteURL,
		Logger:    logger,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	if *parentStdin {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}

	done := make(chan struct{})
	go func() {
		_ = f.Run(ctx)
		close(done)
	}()

	// ferretdb.New has already bound the listener, so READY means "accepting connections".
	// The parent parses this line to learn the actual port (it knows the socket path it passed).
	fmt.Println("READY", f.MongoDBURI())
	<-done
}
