// Package secretleak holds a test that needs a process of its own: client-go reads its feature gates
// (here KUBE_FEATURE_WatchListClient=false, which makes informers LIST as they do against API servers
// without streaming lists) once per process, so it cannot share the controller suite's.
package secretleak
