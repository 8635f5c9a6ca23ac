import java.io.InputStream;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Starts DynamoDB Local listening on 127.0.0.1 only, on a port the OS chooses, and prints
 * "LOOPBACK_PORT=<n>" once it accepts requests.
 *
 * Why: DynamoDBLocal.jar's own main binds every interface and needs a fixed port (no -host option,
 * and -port 0 is rejected). Tests must listen on loopback only and must not race for a port.
 * The process exits when its stdin reaches EOF, so a killed test runner never leaves a JVM behind.
 * Arguments are passed through to DynamoDB Local (e.g. -inMemory -disableTelemetry).
 */
public final class LoopbackDynamoDBLocal {
    private LoopbackDynamoDBLocal() {}

    public static void main(String[] args) throws Exception {
        String[] withPort = new String[args.length + 2];
        System.arraycopy(args, 0, withPort, 0, args.length);
        // Placeholder: the connector's port is reset to 0 (ephemeral) before the server starts.
        withPort[args.length] = "-port";
        withPort[args.length + 1] = "8000";
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(withPort);
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server jetty = (Server) field.get(proxy);
        ServerConnector loopback = null;
        for (Connector connector : jetty.getConnectors()) {
            if (connector instanceof ServerConnector) {
                loopback = (ServerConnector) connector;
                loopback.setHost("127.0.0.1");
                loopback.setPort(0);
            }
        }
        if (loopback == null) {
            throw new IllegalStateException("DynamoDB Local has no ServerConnector to bind to loopback");
        }
        proxy.start();
        System.out.println("LOOPBACK_PORT=" + loopback.getLocalPort());
        System.out.flush();
        InputStream in = System.in;
        while (in.read() != -1) {
            // Drain until the parent closes our stdin (normal stop or parent death).
        }
        proxy.stop();
        System.exit(0);
    }
}
