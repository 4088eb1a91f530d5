//go:build noazure

package cli

func init() { registerLeftOut("noazure", "abfs", "abfss", "wasb", "wasbs") }
