//go:build nogcs

package cli

func init() { registerLeftOut("nogcs", "gs") }
