package cli

// The storage drivers spcheck reads savepoints with, besides local files.
import (
	_ "github.com/spcheck/spcheck/savepoint/hdfsstore"
	_ "github.com/spcheck/spcheck/savepoint/s3store"
)
