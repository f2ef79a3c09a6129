package io.icws.licenses.routes;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A small SMTP server on loopback that answers {@code 550 5.1.1} to every recipient while it refuses, and takes
 * messages once told to accept: the refusal a real server gives for an unknown mailbox, which GreenMail does not
 * give. Plain SMTP, a thread per session, enough of RFC 5321 for Jakarta Mail (EHLO, MAIL, RCPT, DATA, RSET,
 * NOOP, QUIT).
 */
final class RefusingSmtpServer implements AutoCloseable {

    private final ServerSocket socket;
    private final Thread acceptor;
    private volatile boolean refusing = true;
    /** The DATA of every message taken, in order. */
    final List<String> received = new CopyOnWriteArrayList<>();
    /** Every recipient refused (one per RCPT TO answered 550). */
    final List<String> refusedRecipients = new CopyOnWriteArrayList<>();

    RefusingSmtpServer() throws IOException {
        socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::acceptAll, "refusing-smtp");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    /** From now on, recipients are accepted and messages taken. */
    void accept() {
        refusing = false;
    }

    private void acceptAll() {
        while (!socket.isClosed()) {
            try {
                Socket client = socket.accept();
                Thread session = new Thread(() -> {
                    try (client) {
                        session(client);
                    } catch (IOException e) {
                        // the client went
                    }
                }, "refusing-smtp-session");
                session.setDaemon(true);
                session.start();
            } catch (IOException e) {
                // the server closed
            }
        }
    }

    private void session(Socket client) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.US_ASCII));
        OutputStream out = client.getOutputStream();
        reply(out, "220 localhost ESMTP test");
        boolean recipient = false;
        String line;
        while ((line = in.readLine()) != null) {
            String command = line.toUpperCase(Locale.ROOT);
            if (command.startsWith("EHLO")) {
                reply(out, "250-localhost\r\n250 8BITMIME");
            } else if (command.startsWith("HELO") || command.startsWith("NOOP")) {
                reply(out, "250 OK");
            } else if (command.startsWith("MAIL FROM")) {
                recipient = false;
                reply(out, "250 OK");
            } else if (command.startsWith("RCPT TO")) {
                if (refusing) {
                    refusedRecipients.add(line.substring("RCPT TO:".length()).trim());
                    reply(out, "550 5.1.1 No such user here");
                } else {
                    recipient = true;
                    reply(out, "250 OK");
                }
            } else if (command.startsWith("DATA")) {
                if (!recipient) {
                    reply(out, "503 5.5.1 No valid recipients");
                    continue;
                }
                reply(out, "354 End data with <CR><LF>.<CR><LF>");
                StringBuilder data = new StringBuilder();
                while ((line = in.readLine()) != null && !line.equals(".")) {
                    data.append(line.startsWith("..") ? line.substring(1) : line).append('\n');
                }
                received.add(data.toString());
                recipient = false;
                reply(out, "250 OK queued");
            } else if (command.startsWith("RSET")) {
                recipient = false;
                reply(out, "250 OK");
            } else if (command.startsWith("QUIT")) {
                reply(out, "221 Bye");
                return;
            } else {
                reply(out, "502 5.5.2 Command not implemented");
            }
        }
    }

    private static void reply(OutputStream out, String text) throws IOException {
        out.write((text + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
