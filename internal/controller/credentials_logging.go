package controller

import (
	"context"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Secret data must not reach the logs at any verbosity. client-go logs the bodies of API requests and
// responses (a hex dump of the protobuf, which holds a Secret's data) at verbosity 8 and above, through the
// logger in the request's context, which in a reconcile is the manager's. Every API request that carries
// Secret data (or Secret metadata, whose annotations can hold it) therefore runs with that logger capped
// below verbosity 8: reads through the reconciler's APIReader (wrapped by secretSafeReader), which include
// the outage catch-up's lists (outage.go), and the Secret metadata informer's LIST and WATCH (cache.go).
// The manager's own client never reads Secrets (its cache is disabled for them, and nothing uses it so).

// maxSecretRequestVerbosity is the highest verbosity logged during requests that carry Secret data.
// client-go logs URLs and status codes at 6 and 7, bodies at 8.
const maxSecretRequestVerbosity = 7

// withoutBodyLogging returns ctx with its logger capped at maxSecretRequestVerbosity.
func withoutBodyLogging(ctx context.Context) context.Context {
	l, err := logr.FromContext(ctx)
	if err != nil || l.GetSink() == nil {
		// client-go then falls back to klog's global logger, which the manager does not raise to 8 unless
		// told to with klog's own -v flag; give it a logger that drops everything instead.
		return logr.NewContext(ctx, logr.Discard())
	}
	if _, ok := l.GetSink().(cappedSink); ok {
		return ctx
	}
	return logr.NewContext(ctx, l.WithSink(cappedSink{sink: l.GetSink(), max: maxSecretRequestVerbosity}))
}

// cappedSink drops log lines above a verbosity.
type cappedSink struct {
	sink logr.LogSink
	max  int
}

func (s cappedSink) Init(info logr.RuntimeInfo) { s.sink.Init(info) }
func (s cappedSink) Enabled(level int) bool     { return level <= s.max && s.sink.Enabled(level) }
func (s cappedSink) Info(level int, msg string, kv ...any) {
	if level <= s.max {
		s.sink.Info(level, msg, kv...)
	}
}
func (s cappedSink) Error(err error, msg string, kv ...any) { s.sink.Error(err, msg, kv...) }
func (s cappedSink) WithValues(kv ...any) logr.LogSink {
	return cappedSink{sink: s.sink.WithValues(kv...), max: s.max}
}
func (s cappedSink) WithName(name string) logr.LogSink {
	return cappedSink{sink: s.sink.WithName(name), max: s.max}
}

// WithCallDepth implements logr.CallDepthLogSink when the wrapped sink does, so that log lines keep
// pointing at their callers.
func (s cappedSink) WithCallDepth(depth int) logr.LogSink {
	if cd, ok := s.sink.(logr.CallDepthLogSink); ok {
		return cappedSink{sink: cd.WithCallDepth(depth), max: s.max}
	}
	return s
}

// secretSafeReader reads through a client.Reader without client-go's body logging.
type secretSafeReader struct{ client.Reader }

// SecretSafeReader wraps a reader so that its requests never log their bodies (which hold Secret data).
func SecretSafeReader(r client.Reader) client.Reader {
	if _, ok := r.(secretSafeReader); ok || r == nil {
		return r
	}
	return secretSafeReader{r}
}

func (r secretSafeReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	return r.Reader.Get(withoutBodyLogging(ctx), key, obj, opts...)
}

func (r secretSafeReader) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	return r.Reader.List(withoutBodyLogging(ctx), list, opts...)
}
