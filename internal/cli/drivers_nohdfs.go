//go:build nohdfs

package cli

func init() { registerLeftOut("nohdfs", "hdfs") }
