package cli

// The storage drivers spcheck reads savepoints with, besides local files.
import (
	_ "github.com/spcheck/spcheck/savepoint/azurestore"
	_ "github.com/spcheck/spcheck/savepoint/gcsstore"
	_ "github.com/spcheck/spcheck/savepoint/hdfsstore"
	_ "github.com/spcheck/spcheck/savepoint/s3store"
)
