//go:build !nogcs

package cli

import _ "github.com/spcheck/spcheck/savepoint/gcsstore"
