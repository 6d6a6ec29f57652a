package org.margincall.engine.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;

/**
 * A loopback TCP relay in front of the SNS stand-in that a test can close: while closed it
 * accepts and immediately drops connections, so the engine's SNS client sees a refused endpoint
 * exactly as it would when SNS is unreachable, with no mock anywhere.
 */
public final class SnsGate {
    private static SnsGate shared;

    private final ServerSocket server;
    private final String targetHost;
    private final int targetPort;
    private volatile boolean open = true;
    private final java.util.Set<Socket> live = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private SnsGate(URI target) throws IOException {
        this.targetHost = target.getHost();
        this.targetPort = target.getPort();
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::acceptLoop, "sns-gate");
        t.setDaemon(true);
        t.start();
    }

    public static synchronized SnsGate shared(String targetUrl) {
        if (shared == null) {
            try {
                shared = new SnsGate(URI.create(targetUrl));
            } catch (IOException e) {
                throw new IllegalStateException("cannot open the SNS gate", e);
            }
        }
        return shared;
    }

    public static synchronized SnsGate shared() {
        if (shared == null) {
            throw new IllegalStateException("SNS gate not started (LocalStackResource starts it)");
        }
        return shared;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    public void open() {
        open = true;
    }

    /** From now on, connections are reset as if SNS were unreachable. */
    public void shut() {
        open = false;
        // Pooled keep-alive connections must die too, or the client would never notice.
        for (Socket s : live) {
            try {
                s.setSoLinger(true, 0);
                s.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
        live.clear();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                if (!open) {
                    client.setSoLinger(true, 0); // reset, as a refused endpoint would
                    client.close();
                    continue;
                }
                Socket upstream = new Socket(targetHost, targetPort);
                live.add(client);
                live.add(upstream);
                pipe(client, upstream);
                pipe(upstream, client);
            } catch (IOException e) {
                // a dropped connection; keep serving
            }
        }
    }

    private void pipe(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                in.transferTo(out);
            } catch (IOException e) {
                // peer closed
            } finally {
                live.remove(from);
                live.remove(to);
                try {
                    from.close();
                    to.close();
                } catch (IOException ignored) {
                    // both ends are going away anyway
                }
            }
        }, "sns-gate-pipe");
        t.setDaemon(true);
        t.start();
    }
}
