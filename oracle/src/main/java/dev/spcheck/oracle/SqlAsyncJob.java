package dev.spcheck.oracle;

import java.util.Arrays;

/**
 * The oracle's SQL job with table.exec.async-state.enabled (Flink 2.x): the planner picks the operators of the
 * asynchronous state API where it has them, whose keyed state the ForSt backend writes as state V2. Takes
 * {@link SqlJob}'s edits.
 */
public final class SqlAsyncJob {

    public static void main(String[] args) throws Exception {
        String[] a = Arrays.copyOf(args, args.length + 2);
        a[args.length] = "--edit";
        a[args.length + 1] = "async-state";
        SqlJob.main(a);
    }
}
