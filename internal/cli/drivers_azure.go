//go:build !noazure

package cli

import _ "github.com/spcheck/spcheck/savepoint/azurestore"
