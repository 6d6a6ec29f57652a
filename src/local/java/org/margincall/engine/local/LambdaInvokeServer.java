package org.margincall.engine.local;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Lambda Invoke API endpoint on loopback ({@code POST /2015-03-31/functions/NAME/invocations}),
 * so Step Functions tasks run by the local facade reach Java handlers the way AWS would invoke
 * them. Point the facade at {@link #url()} ({@code AWS_ENDPOINT_URL_LAMBDA}). A function that
 * throws answers like Lambda does: HTTP 200, header {@code X-Amz-Function-Error: Unhandled},
 * body {@code {"errorType","errorMessage"}}, which the state machine's Retry/Catch see.
 */
public final class LambdaInvokeServer implements AutoCloseable {
    private static final Pattern PATH = Pattern.compile("^/2015-03-31/functions/([^/]+)/invocations$");

    /** One function: request payload bytes in, response payload bytes out. */
    @FunctionalInterface
    public interface Function {
        byte[] invoke(byte[] payload) throws Exception;
    }

    private final HttpServer server;
    private final ExecutorService pool;
    private final Map<String, Function> functions = new ConcurrentHashMap<>();

    public LambdaInvokeServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        pool = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "lambda-invoke");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Serves {@code name} (a function name as in its ARN) with {@code fn}; replaces any earlier one. */
    public LambdaInvokeServer register(String name, Function fn) {
        functions.put(name, fn);
        return this;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            Matcher m = PATH.matcher(ex.getRequestURI().getPath());
            if (!"POST".equals(ex.getRequestMethod()) || !m.matches()) {
                reply(ex, 404, null, "{\"Type\":\"User\",\"message\":\"unknown path " + ex.getRequestURI().getPath() + "\"}");
                return;
            }
            String name = m.group(1);
            int colon = name.lastIndexOf(":function:");
            if (colon >= 0) {
                name = name.substring(colon + ":function:".length());
            }
            Function fn = functions.get(name);
            if (fn == null) {
                reply(ex, 404, null, "{\"__type\":\"ResourceNotFoundException\",\"message\":\"Function not found: "
                        + name + "\"}");
                return;
            }
            byte[] payload;
            try (InputStream in = ex.getRequestBody()) {
                payload = in.readAllBytes();
            }
            byte[] out;
            try {
                out = fn.invoke(payload);
            } catch (Exception e) {
                String type = e.getClass().getSimpleName();
                String msg = e.getMessage() == null ? type : e.getMessage();
                reply(ex, 200, "Unhandled", "{\"errorType\":" + quote(type) + ",\"errorMessage\":" + quote(msg) + "}");
                return;
            }
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                try (OutputStream os = ex.getResponseBody()) {
                    os.write(out);
                }
            }
        }
    }

    private static void reply(HttpExchange ex, int status, String functionError, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        if (functionError != null) {
            ex.getResponseHeaders().add("X-Amz-Function-Error", functionError);
        }
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(b);
        }
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
