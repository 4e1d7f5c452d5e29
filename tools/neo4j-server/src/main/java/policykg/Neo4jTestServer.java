package policykg;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Map;
import java.util.stream.Stream;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

/**
 * A throw-away Neo4j 5 community server for policykg's tests and benches.
 *
 * <p>Bolt on 127.0.0.1 on a free port (or the port given as the first argument), auth on with a
 * generated password, data in a fresh temporary folder that is deleted on exit (or in the folder of
 * -Dpolicykg.home, kept), a small page cache
 * (the machines are shared). Prints one line {@code READY bolt://127.0.0.1:PORT user neo4j password
 * SECRET} on stdout once it accepts authenticated sessions, and stops when its stdin closes (the
 * process that started it exited or closed the pipe) or on SIGTERM.
 */
public final class Neo4jTestServer {
    private static final String USER = "neo4j";

    private Neo4jTestServer() {}

    public static void main(String[] args) throws Exception {
        int requested = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        String pageCache = System.getProperty("policykg.pagecache", "64m");
        // -Dpolicykg.home=DIR: the caller owns the folder (a restart after a crash reuses it);
        // otherwise a fresh temporary one, deleted on exit.
        String given = System.getProperty("policykg.home", "");
        boolean owned = given.isEmpty();
        Path home = owned ? Files.createTempDirectory("policykg-neo4j-") : Files.createDirectories(Path.of(given));
        byte[] secret = new byte[18];
        new SecureRandom().nextBytes(secret);
        String password = HexFormat.of().formatHex(secret);

        DatabaseManagementService service = null;
        IOException lastBindFailure = null;
        // A free port is picked, then handed to Neo4j, which also advertises it (routing tables
        // of neo4j:// URIs name it); another process may take it in between, hence the retries.
        for (int attempt = 0; attempt < 5 && service == null; attempt++) {
            int port = requested > 0 ? requested : freePort();
            try {
                service = new DatabaseManagementServiceBuilder(home)
                        .setConfig(BoltConnector.enabled, true)
                        .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                        .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                        .setConfig(GraphDatabaseSettings.auth_enabled, true)
                        .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.parse(pageCache))
                        // no usage reports: a test server talks to 127.0.0.1 only
                        .setConfig(GraphDatabaseSettings.udc_enabled, false)
                        .setConfig(GraphDatabaseInternalSettings.udc_network_enabled, false)
                        .build();
                // The default user starts with password "neo4j" that must be changed; set ours.
                service.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
                        "ALTER USER " + USER + " SET PASSWORD $password CHANGE NOT REQUIRED",
                        Map.of("password", password));
                System.out.println("READY bolt://127.0.0.1:" + port + " user " + USER + " password " + password);
                System.out.flush();
            } catch (RuntimeException exc) {
                if (service != null) {
                    service.shutdown();
                    service = null;
                }
                if (requested > 0 || !isBindFailure(exc)) {
                    if (owned) {
                        deleteTree(home);
                    }
                    throw exc;
                }
                lastBindFailure = new IOException("port " + port + " taken", exc);
            }
        }
        if (service == null) {
            if (owned) {
                deleteTree(home);
            }
            throw new IllegalStateException("no free port for Bolt", lastBindFailure);
        }

        final DatabaseManagementService running = service;
        Thread stop = new Thread(() -> {
            running.shutdown();
            if (owned) {
                deleteTree(home);
            }
        }, "policykg-neo4j-stop");
        Runtime.getRuntime().addShutdownHook(stop);
        waitForEndOfInput(System.in);
        System.exit(0); // runs the shutdown hook: Neo4j stops, the data folder goes
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static boolean isBindFailure(Throwable exc) {
        for (Throwable cause = exc; cause != null; cause = cause.getCause()) {
            String message = String.valueOf(cause.getMessage());
            if (cause instanceof java.net.BindException || message.contains("Address already in use")) {
                return true;
            }
        }
        return false;
    }

    private static void waitForEndOfInput(InputStream in) {
        byte[] buffer = new byte[256];
        try {
            while (in.read(buffer) >= 0) {
                // anything written is ignored; only the end of input matters
            }
        } catch (IOException exc) {
            // a broken pipe means the same as its end
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException exc) {
            System.err.println("could not delete " + root + ": " + exc);
        }
    }
}
