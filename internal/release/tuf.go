package release

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sigstore/sigstore-go/pkg/tuf"
)

// FetchPublicGoodTrustedRoot reads Sigstore's public-good trusted_root.json from its TUF repository. The
// TUF root embedded in sigstore-go bootstraps the chain of trust; the cache lives under the temporary
// directory, the only writable place of the operator's container.
func FetchPublicGoodTrustedRoot() ([]byte, error) {
	opts := tuf.DefaultOptions()
	opts.CachePath = filepath.Join(os.TempDir(), "sigstore-tuf")
	c, err := tuf.New(opts)
	if err != nil {
		return nil, fmt.Errorf("initialising the TUF client for %s: %w", opts.RepositoryBaseURL, err)
	}
	b, err := c.GetTarget("trusted_root.json")
	if err != nil {
		return nil, fmt.Errorf("reading trusted_root.json from %s: %w", opts.RepositoryBaseURL, err)
	}
	return b, nil
}
