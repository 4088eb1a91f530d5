package cli

// The storage drivers spcheck reads savepoints with, besides local files,
// are linked in by the files drivers_*.go, one per driver. Each can be
// left out of a build with a tag (README "Development"):
//
//	go build -tags nos3,nogcs,noazure,nohdfs ./cmd/spcheck
//
// A location whose driver was left out gets an error that says so.

import (
	"context"
	"fmt"
	"net/url"

	"github.com/spcheck/spcheck/savepoint"
)

// registerLeftOut registers schemes whose driver this build leaves out.
//
//lint:ignore U1000 called by the init functions of the no* build-tag files
func registerLeftOut(tag string, schemes ...string) {
	for _, s := range schemes {
		savepoint.Register(s, func(_ context.Context, u *url.URL, _ savepoint.Options) (savepoint.Store, error) {
			return nil, fmt.Errorf("savepoint: %s: this spcheck was built without the driver for %s:// locations (build tag %s); build it without that tag",
				savepoint.Redact(u), u.Scheme, tag)
		})
	}
}
