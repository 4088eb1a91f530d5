//go:build nos3

package cli

func init() { registerLeftOut("nos3", "s3", "s3a", "s3p") }
