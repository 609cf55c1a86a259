package mcpbastion;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

/**
 * The Neo4j image's server process: Neo4j Community embedded, configured only from
 * NEO4J_HOME/conf/neo4j.conf (which the entrypoint fills from NEO4J_* variables, as the official
 * image does), with the password of user neo4j from the file NEO4J_AUTH_PATH names
 * ("neo4j/PASSWORD"). It stops the database cleanly on SIGTERM.
 */
public final class Neo4jImage {
    private Neo4jImage() {}

    public static void main(String[] argv) throws Exception {
        Path home = Path.of(System.getenv().getOrDefault("NEO4J_HOME", "/var/lib/neo4j"));
        String authPath = System.getenv("NEO4J_AUTH_PATH");
        if (authPath == null || authPath.isEmpty()) {
            System.err.println("NEO4J_AUTH_PATH must name a file holding neo4j/PASSWORD (this image never runs without authentication)");
            System.exit(1);
        }
        String auth = Files.readString(Path.of(authPath), StandardCharsets.UTF_8).strip();
        if (!auth.startsWith("neo4j/") || auth.length() < "neo4j/".length() + 8) {
            System.err.println("the file NEO4J_AUTH_PATH names must hold neo4j/PASSWORD with a password of 8 or more characters");
            System.exit(1);
        }
        String password = auth.substring("neo4j/".length());

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .loadPropertiesFromFile(home.resolve("conf").resolve("neo4j.conf"))
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                dbms.shutdown();
            } finally {
                stopped.countDown();
            }
        }, "neo4j-shutdown"));
        Map<String, Object> params = new HashMap<>();
        params.put("password", password);
        try {
            dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED", params);
        } catch (RuntimeException e) {
            if (!String.valueOf(e.getMessage()).contains("Old password and new password cannot be the same")) {
                System.err.println("could not set the password of user neo4j: " + e.getMessage());
                dbms.shutdown();
                System.exit(1);
            }
        }
        System.out.println("Started.");
        System.out.flush();
        stopped.await();
    }
}
