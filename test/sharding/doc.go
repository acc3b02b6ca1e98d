// Package sharding tests a fleet split across two managers on one control plane: each caches only its
// shard's pipelines (--watch-label-selector), and the repository claims keep one owner per repository
// across them. It has its own control plane because the controller suite's manager sees every pipeline.
package sharding
