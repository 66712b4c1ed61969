package ai.intercom.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for a test: a fresh cluster directory (initdb), started on a free
 * loopback port, stopped and deleted at the end. PostgreSQL refuses to run as root: as root, it
 * runs as the {@code postgres} user of the Debian package that {@code .ci/run} installs.
 */
public final class Postgres implements AutoCloseable {

  public static final String USER = "intercom";

  private final Path bin;
  private final Path data;
  private final int port;
  private final boolean root;

  private Postgres(Path bin, Path data, int port, boolean root) {
    this.bin = bin;
    this.data = data;
    this.port = port;
    this.root = root;
  }

  public static Postgres start() throws IOException, InterruptedException {
    Path bin = binaries();
    boolean root = "root".equals(System.getProperty("user.name"));
    Path data = Files.createTempDirectory("intercom-pg");
    if (root) {
      UserPrincipal postgres =
          data.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
      Files.setOwner(data, postgres);
    }
    int port = TestNodes.freePort();
    Postgres pg = new Postgres(bin, data, port, root);
    pg.run("initdb", "-D", data.toString(), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync");
    pg.run(
        "pg_ctl",
        "-D",
        data.toString(),
        "-l",
        data.resolve("server.log").toString(),
        "-o",
        "-p " + port + " -c listen_addresses=127.0.0.1 -k " + data + " -c fsync=off",
        "-w",
        "start");
    return pg;
  }

  public String url() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
  }

  private void run(String tool, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    if (root) {
      command.addAll(List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"));
    }
    command.add(bin.resolve(tool).toString());
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes());
    if (process.waitFor() != 0) {
      throw new IllegalStateException(tool + " failed: " + out);
    }
  }

  /** The newest installed PostgreSQL's bin directory. */
  private static Path binaries() throws IOException {
    Path debian = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(debian)) {
      try (Stream<Path> versions = Files.list(debian)) {
        var newest =
            versions
                .map(v -> v.resolve("bin"))
                .filter(b -> Files.isExecutable(b.resolve("initdb")))
                .max(
                    Comparator.comparingInt(
                        b ->
                            Integer.parseInt(
                                b.getParent().getFileName().toString().replaceAll("\\D", "0"))));
        if (newest.isPresent()) {
          return newest.get();
        }
      }
    }
    throw new IllegalStateException(
        "PostgreSQL is not installed (.ci/run installs the Debian package postgresql)");
  }

  @Override
  public void close() throws Exception {
    try {
      run("pg_ctl", "-D", data.toString(), "-m", "immediate", "-w", "stop");
    } finally {
      try (Stream<Path> files = Files.walk(data)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
