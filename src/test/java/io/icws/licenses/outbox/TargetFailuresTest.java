package io.icws.licenses.outbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.MalformedInputException;
import java.nio.file.FileSystemException;
import java.nio.file.NotDirectoryException;

import com.fasterxml.jackson.databind.JsonMappingException;
import io.icws.licenses.outbox.TargetFailures.Kind;
import jakarta.jms.InvalidDestinationException;
import jakarta.jms.JMSException;
import jakarta.jms.JMSRuntimeException;
import jakarta.jms.MessageFormatException;
import jakarta.jms.MessageNotWriteableException;
import jakarta.mail.Address;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.internet.InternetAddress;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.NoTypeConversionAvailableException;
import org.apache.camel.RuntimeCamelException;
import org.apache.camel.component.file.GenericFileOperationFailedException;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.util.MailConnectException;
import org.eclipse.angus.mail.util.SocketConnectException;
import org.junit.jupiter.api.Test;
import org.springframework.jms.UncategorizedJmsException;
import org.springframework.jms.support.JmsUtils;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rule of {@link TargetFailures}, with the exceptions the targets really throw (jakarta.mail with Angus,
 * jakarta.jms with Spring's translation as camel-jms does it, camel-file, camel-http), wrapped as Camel wraps
 * them.
 */
class TargetFailuresTest {

    private static Kind kindOf(Throwable failure) {
        return TargetFailures.classify(failure);
    }

    /** As a Camel producer hands a failure back: wrapped once or twice. */
    private static Exception wrapped(Throwable cause) {
        return new CamelExecutionException("Exception occurred during execution", null,
                new RuntimeCamelException(cause));
    }

    private static JMSException linked(JMSException e, Exception cause) {
        e.setLinkedException(cause);
        return e;
    }

    // ------------------------------------------------------------------ markers

    @Test
    void theMarkersSayItThemselvesWhateverTheyWrap() {
        assertThat(kindOf(new TargetRefusedException("no such customer"))).isEqualTo(Kind.REFUSAL);
        assertThat(kindOf(wrapped(new TargetRefusedException("bad", new ConnectException("refused")))))
                .isEqualTo(Kind.REFUSAL);
        assertThat(kindOf(new TargetOutageException("maintenance"))).isEqualTo(Kind.OUTAGE);
        assertThat(kindOf(wrapped(new TargetOutageException("throttled", new IllegalArgumentException("x")))))
                .isEqualTo(Kind.OUTAGE);
    }

    // ------------------------------------------------------------------ network and disk

    @Test
    void aTargetThatCannotBeReachedIsAnOutage() {
        assertThat(kindOf(wrapped(new ConnectException("Connection refused")))).isEqualTo(Kind.OUTAGE);
        assertThat(kindOf(wrapped(new UnknownHostException("smtp.example.invalid")))).isEqualTo(Kind.OUTAGE);
        assertThat(kindOf(wrapped(new NoRouteToHostException("No route to host")))).isEqualTo(Kind.OUTAGE);
        assertThat(kindOf(wrapped(new SocketTimeoutException("Read timed out")))).isEqualTo(Kind.OUTAGE);
        assertThat(kindOf(wrapped(new SocketException("Connection reset")))).isEqualTo(Kind.OUTAGE);
        assertThat(kindOf(new java.util.concurrent.TimeoutException("no answer"))).isEqualTo(Kind.OUTAGE);
        assertThat(kindOf(new UncheckedIOException(new IOException("Broken pipe")))).isEqualTo(Kind.OUTAGE);
    }

    @Test
    void aFileThatCannotBeWrittenIsAnOutage() {
        // as camel-file reports a folder it cannot write in, or a full disk
        assertThat(kindOf(new GenericFileOperationFailedException("Cannot store file: /x/changes/a.json",
                new NotDirectoryException("/x/changes")))).isEqualTo(Kind.OUTAGE);
        assertThat(kindOf(new GenericFileOperationFailedException("Cannot store file: a.json",
                new FileSystemException("a.json", null, "No space left on device")))).isEqualTo(Kind.OUTAGE);
        assertThat(kindOf(new GenericFileOperationFailedException("Cannot store file: a.json",
                new IOException("Input/output error")))).isEqualTo(Kind.OUTAGE);
    }

    // ------------------------------------------------------------------ SMTP

    @Test
    void anSmtpServerThatCannotBeReachedIsAnOutage() {
        MailConnectException refused = new MailConnectException(new SocketConnectException(
                "Using socket factory", new ConnectException("Connection refused"), "127.0.0.1", 2525, 0));
        assertThat(kindOf(wrapped(refused))).isEqualTo(Kind.OUTAGE);
        assertThat(kindOf(new MessagingException("Exception reading response", new SocketException("reset"))))
                .isEqualTo(Kind.OUTAGE);
    }

    @Test
    void anSmtpTemporaryReplyIsAnOutageAndAPermanentOneARefusal() {
        Address[] none = new Address[0];
        assertThat(kindOf(wrapped(new SMTPSendFailedException("DATA", 451,
                "451 4.3.0 Temporary local problem", null, none, none, none)))).isEqualTo(Kind.OUTAGE);
        assertThat(kindOf(wrapped(new SMTPSendFailedException("DATA", 552,
                "552 5.3.4 Message size exceeds fixed limit", null, none, none, none)))).isEqualTo(Kind.REFUSAL);
    }

    @Test
    void aRecipientTheServerRejectsIsARefusalAndOneItCannotTakeNowAnOutage() throws Exception {
        InternetAddress to = new InternetAddress("nobody@example.com");
        // as Angus reports a rejected RCPT TO: invalid addresses, with the server's reply chained
        SendFailedException rejected = new SendFailedException("Invalid Addresses",
                new SMTPAddressFailedException(to, "RCPT TO:<nobody@example.com>", 550, "550 5.1.1 User unknown"),
                new Address[0], new Address[0], new Address[] {to});
        assertThat(kindOf(wrapped(rejected))).isEqualTo(Kind.REFUSAL);
        // a 4xx on RCPT TO: the address is valid but unsent; its chained reply decides
        SendFailedException later = new SendFailedException("Invalid Addresses",
                new SMTPAddressFailedException(to, "RCPT TO:<nobody@example.com>", 452, "452 4.2.2 Mailbox full"),
                new Address[0], new Address[] {to}, new Address[0]);
        assertThat(kindOf(wrapped(later))).isEqualTo(Kind.OUTAGE);
    }

    @Test
    void credentialsTheServerRejectsAreAnOutage() {
        // no event gets through with them: dead-lettering each in turn would empty the queue into the dead letters
        assertThat(kindOf(wrapped(new AuthenticationFailedException("535 5.7.8 Authentication credentials invalid"))))
                .isEqualTo(Kind.OUTAGE);
    }

    // ------------------------------------------------------------------ JMS

    @Test
    void aBrokerThatCannotBeReachedIsAnOutageAsCamelJmsReportsIt() {
        JMSException notConnected = linked(new JMSException("AMQ219010: Connection is destroyed"),
                new ConnectException("Connection refused"));
        // camel-jms sends with Spring's JmsTemplate, which translates the JMSException
        assertThat(kindOf(wrapped(JmsUtils.convertJmsAccessException(notConnected)))).isEqualTo(Kind.OUTAGE);
        assertThat(kindOf(wrapped(new UncategorizedJmsException("lost", new JMSException("lost")))))
                .isEqualTo(Kind.OUTAGE);
        assertThat(kindOf(new jakarta.jms.IllegalStateException("Session is closed"))).isEqualTo(Kind.OUTAGE);
        assertThat(kindOf(new InvalidDestinationException("no such queue"))).isEqualTo(Kind.OUTAGE);
        assertThat(kindOf(new JMSRuntimeException("broker gone"))).isEqualTo(Kind.OUTAGE);
    }

    @Test
    void aKafkaBrokerThatCannotBeReachedIsAnOutageAndARecordItRejectsARefusal() {
        assertThat(kindOf(wrapped(new org.apache.kafka.common.errors.TimeoutException("Topic not present"))))
                .isEqualTo(Kind.OUTAGE);
        assertThat(kindOf(new org.apache.kafka.common.errors.NotLeaderOrFollowerException("leader moved")))
                .isEqualTo(Kind.OUTAGE);
        assertThat(kindOf(new org.apache.kafka.common.errors.RecordTooLargeException("too large")))
                .isEqualTo(Kind.REFUSAL);
    }

    @Test
    void aMessageTheBrokerCannotTakeIsARefusal() {
        assertThat(kindOf(wrapped(JmsUtils.convertJmsAccessException(new MessageFormatException("bad property")))))
                .isEqualTo(Kind.REFUSAL);
        assertThat(kindOf(new MessageFormatException("bad property"))).isEqualTo(Kind.REFUSAL);
        assertThat(kindOf(wrapped(new MessageNotWriteableException("read-only")))).isEqualTo(Kind.REFUSAL);
    }

    // ------------------------------------------------------------------ HTTP

    @Test
    void aWebServiceDownIsAnOutageAndOneThatRejectsTheEventARefusal() {
        assertThat(kindOf(wrapped(http(503)))).isEqualTo(Kind.OUTAGE);
        assertThat(kindOf(wrapped(http(500)))).isEqualTo(Kind.OUTAGE);
        assertThat(kindOf(wrapped(http(429)))).isEqualTo(Kind.OUTAGE);
        assertThat(kindOf(wrapped(http(400)))).isEqualTo(Kind.REFUSAL);
        assertThat(kindOf(wrapped(http(413)))).isEqualTo(Kind.REFUSAL);
    }

    private static HttpOperationFailedException http(int status) {
        return new HttpOperationFailedException("http://hooks.example.com/icws", status, "status " + status, null,
                java.util.Map.of(), "");
    }

    // ------------------------------------------------------------------ the event itself

    @Test
    void aFailureToFormatTheEventIsARefusalEvenWhenItIsAnIOException() {
        assertThat(kindOf(wrapped(new IllegalArgumentException("no license in the event")))).isEqualTo(Kind.REFUSAL);
        assertThat(kindOf(wrapped(JsonMappingException.from((com.fasterxml.jackson.core.JsonParser) null,
                "cannot serialize")))).isEqualTo(Kind.REFUSAL);
        assertThat(kindOf(wrapped(new MalformedInputException(3)))).isEqualTo(Kind.REFUSAL);
        assertThat(kindOf(new NoTypeConversionAvailableException("x", String.class))).isEqualTo(Kind.REFUSAL);
    }

    @Test
    void whatNothingInTheChainExplainsIsARefusal() {
        assertThat(kindOf(new RuntimeException("something else"))).isEqualTo(Kind.REFUSAL);
        assertThat(kindOf(new GenericFileOperationFailedException("Cannot write null body to file: a.json")))
                .isEqualTo(Kind.REFUSAL);
        assertThat(kindOf(null)).isEqualTo(Kind.REFUSAL);
    }

    @Test
    void aCauseChainThatLoopsEnds() {
        RuntimeException a = new RuntimeException("a");
        RuntimeException b = new RuntimeException("b", a);
        a.initCause(b);
        assertThat(kindOf(a)).isEqualTo(Kind.REFUSAL);
    }
}
