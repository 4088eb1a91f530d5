package dev.spcheck.graph;

import org.apache.maven.artifact.Artifact;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.descriptor.PluginDescriptor;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.plugins.annotations.ResolutionScope;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes the spcheck job-graph manifest of the job this project builds: runs spcheck-graph (the extractor,
 * dev.spcheck.oracle.GraphTool) on the project's JAR in a JVM of its own, on the project's compile classpath,
 * so the job graph is built by the project's own Flink as 'flink run' builds it. The project needs Flink's
 * flink-streaming-java and flink-clients among its dependencies (scope provided, as Flink's quickstart has
 * them). Bound to the package phase; check the result with {@code spcheck check SAVEPOINT --graph FILE}.
 */
@Mojo(name = "extract", defaultPhase = LifecyclePhase.PACKAGE, requiresDependencyResolution = ResolutionScope.COMPILE_PLUS_RUNTIME, threadSafe = true)
public class ExtractMojo extends AbstractMojo {

    /** The job JAR (default: the JAR this project packages). */
    @Parameter(property = "spcheck.jar", defaultValue = "${project.build.directory}/${project.build.finalName}.jar")
    private File jar;

    /** The entry class, when the JAR's manifest names none (or to pick another). */
    @Parameter(property = "spcheck.mainClass")
    private String mainClass;

    /** The job's arguments, as after 'flink run JAR'. */
    @Parameter
    private List<String> args;

    /** The default parallelism, as 'flink run -p' (default: parallelism.default of the configuration, else 1). */
    @Parameter(property = "spcheck.parallelism", defaultValue = "0")
    private int parallelism;

    /** Flink configuration options, as 'flink run -D key=value' (e.g. state.backend.type: rocksdb). */
    @Parameter
    private Map<String, String> configuration;

    /** A Flink configuration directory (config.yaml or flink-conf.yaml) to read first. */
    @Parameter(property = "spcheck.confDir")
    private File confDir;

    /** Where the manifest goes. */
    @Parameter(property = "spcheck.output", defaultValue = "${project.build.directory}/spcheck-graph.json")
    private File output;

    /** Skip the goal. */
    @Parameter(property = "spcheck.skip", defaultValue = "false")
    private boolean skip;

    @Parameter(defaultValue = "${project.compileClasspathElements}", readonly = true, required = true)
    private List<String> compileClasspath;

    @Parameter(defaultValue = "${project.runtimeClasspathElements}", readonly = true, required = true)
    private List<String> runtimeClasspath;

    @Parameter(defaultValue = "${project.build.outputDirectory}", readonly = true)
    private File classesDirectory;

    @Parameter(defaultValue = "${plugin}", readonly = true)
    private PluginDescriptor plugin;

    /** The options Flink's own scripts give a JVM on Java 17 (env.java.opts.all of Flink's config.yaml). */
    static final String[] OPENS = {"java.lang", "java.lang.reflect", "java.io", "java.nio", "java.net", "java.text", "java.time",
        "java.util", "java.util.concurrent", "java.util.concurrent.atomic", "java.util.concurrent.locks", "sun.nio.ch"};

    @Override
    public void execute() throws MojoExecutionException, MojoFailureException {
        if (skip) {
            getLog().info("spcheck-graph: skipped");
            return;
        }
        if (!jar.isFile()) {
            throw new MojoFailureException("spcheck-graph: no job JAR at " + jar + ": run the goal after package (it binds to the"
                    + " package phase), or set <jar>");
        }
        File extractor = null;
        for (Artifact a : plugin.getArtifacts()) {
            if (a.getArtifactId().equals("spcheck-oracle")) extractor = a.getFile();
        }
        if (extractor == null) throw new MojoExecutionException("spcheck-graph: the plugin's extractor (dev.spcheck:spcheck-oracle) is missing");
        Set<String> cp = new LinkedHashSet<>();
        cp.add(extractor.getAbsolutePath());
        for (List<String> l : List.of(compileClasspath, runtimeClasspath)) {
            for (String e : l) {
                // the job's classes come from its JAR, as with 'flink run'; its libraries from the classpath
                if (!new File(e).getAbsoluteFile().equals(classesDirectory.getAbsoluteFile())) cp.add(e);
            }
        }
        boolean clients = cp.stream().anyMatch(e -> new File(e).getName().startsWith("flink-clients"));
        if (!clients) {
            throw new MojoFailureException("spcheck-graph: the project has no org.apache.flink:flink-clients dependency; add it"
                    + " (scope provided) at the job's Flink version, as Flink's quickstart has it");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(new File(System.getProperty("java.home"), "bin/java").getPath());
        for (String p : OPENS) cmd.add("--add-opens=java.base/" + p + "=ALL-UNNAMED");
        cmd.add("-cp");
        cmd.add(String.join(File.pathSeparator, cp));
        cmd.add("dev.spcheck.oracle.GraphTool");
        cmd.add("--jar");
        cmd.add(jar.getPath());
        if (mainClass != null && !mainClass.isEmpty()) {
            cmd.add("--class");
            cmd.add(mainClass);
        }
        if (parallelism > 0) {
            cmd.add("--parallelism");
            cmd.add(Integer.toString(parallelism));
        }
        if (confDir != null) {
            cmd.add("--conf-dir");
            cmd.add(confDir.getPath());
        }
        if (configuration != null) {
            for (Map.Entry<String, String> e : new TreeMap<>(configuration).entrySet()) {
                cmd.add("-D");
                cmd.add(e.getKey() + "=" + e.getValue());
            }
        }
        cmd.add("-o");
        cmd.add(output.getPath());
        if (args != null && !args.isEmpty()) {
            cmd.add("--");
            cmd.addAll(args);
        }
        output.getAbsoluteFile().getParentFile().mkdirs();
        getLog().debug("spcheck-graph: " + String.join(" ", cmd));
        int code;
        try {
            Process p = new ProcessBuilder(cmd).inheritIO().start();
            code = p.waitFor();
        } catch (IOException e) {
            throw new MojoExecutionException("spcheck-graph: could not start " + cmd.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MojoExecutionException("spcheck-graph: interrupted", e);
        }
        if (code != 0) {
            throw new MojoFailureException("spcheck-graph could not build the job graph of " + jar.getName() + " (exit " + code
                    + "; its messages are above)");
        }
        getLog().info("spcheck-graph: wrote " + output + "; check it with: spcheck check SAVEPOINT --graph " + output);
    }
}
