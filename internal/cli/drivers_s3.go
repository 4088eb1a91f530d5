//go:build !nos3

package cli

import _ "github.com/spcheck/spcheck/savepoint/s3store"
