package github

import (
	"bytes"
	"context"
	"encoding/json"
	"mime"
	"reflect"
	"strings"
)

// A GET's answer is cut to its shape: what the Go type it is decoded into reads of it. GitHub's answers
// carry far more than the operator reads (a repository is about 6 KB of JSON, most of it URLs and an
// owner object; an organisation's repository page is 100 of those), and the ETag cache keeps each answer of
// every repository for as long as the repository is managed. So the transport decodes a 200's body into
// the type the caller asked for and hands on that value re-encoded, and it is this that the cache keeps and
// replays on a 304. The caller decodes the same bytes either way: a field it reads is never present in a
// first answer and missing from a replayed one, and one it does not read is never kept. TestShapeKeeps
// checks on GitHub's own example answers that decoding the cut answer gives what decoding the whole one
// gives.

// cutAnswers is off only in TestShapeKeepsWhatTheClientReads, to read the whole answers to compare with.
var cutAnswers = true

type answerTypeKey struct{}

// withAnswerType tells the transport that the answer to this request is decoded into a value of type t.
func withAnswerType(ctx context.Context, t reflect.Type) context.Context {
	return context.WithValue(ctx, answerTypeKey{}, t)
}

func answerType(ctx context.Context) reflect.Type {
	t, _ := ctx.Value(answerTypeKey{}).(reflect.Type)
	return t
}

// cutToShape returns body re-encoded from a value of type t decoded from it, if body is JSON, decodes
// into t, and comes out shorter; otherwise body itself (the caller then fails to decode it as it would
// have, with the same error).
func cutToShape(t reflect.Type, contentType string, body []byte) []byte {
	if t == nil || !cutAnswers || !isJSON(contentType) {
		return body
	}
	v := reflect.New(t)
	if err := json.Unmarshal(body, v.Interface()); err != nil {
		return body
	}
	var buf bytes.Buffer
	buf.Grow(len(body) / 4)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v.Interface()); err != nil || buf.Len() >= len(body) {
		return body
	}
	return bytes.Clone(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// isJSON says whether a Content-Type is JSON (application/json, or GitHub's application/vnd.github+json).
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || (mt != "+json" && strings.HasSuffix(mt, "+json"))
}
