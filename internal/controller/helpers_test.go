package controller_test

import (
	"bytes"
	"fmt"
	"os"
	"sync"

	"go.uber.org/zap/zapcore"

	"github.com/secure-pipeline/operator/internal/testenv"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if os.Getenv("TEST_LOGS") != "" {
		_, _ = os.Stderr.Write(p)
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// zapDebug is the most verbose level the operator logs at, so that the leak tests see every line.
func zapDebug() zapcore.Level { return zapcore.Level(-10) }

// extraCRDDirs installs External Secrets Operator's CRDs beside ours.
func extraCRDDirs() []string {
	dir, err := testenv.ExternalSecretsCRDDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return []string{dir}
}
