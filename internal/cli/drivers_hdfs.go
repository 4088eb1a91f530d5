//go:build !nohdfs

package cli

import _ "github.com/spcheck/spcheck/savepoint/hdfsstore"
