package io.icws.licenses.outbox;

import java.io.CharConversionException;
import java.io.IOException;
import java.io.ObjectStreamException;
import java.io.UnsupportedEncodingException;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.nio.charset.CharacterCodingException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * Sorts a failed delivery into an <b>outage</b> (the target cannot take any event now: hold its queue and try
 * the same event again for as long as it lasts) or a <b>refusal</b> (the target rejects this very event: the
 * tries, then the dead letters, and the next event goes on).
 *
 * <p>The rule: walk the failure and its causes, outermost first; the first one that says something decides.
 * <ol>
 * <li>{@link TargetRefusedException} is a refusal, {@link TargetOutageException} an outage: a target route
 *     says it itself.</li>
 * <li>An SMTP reply code ({@code getReturnCode()} of a {@code jakarta.mail} exception): 4xx (try later) is an
 *     outage, 5xx a refusal. A {@code SendFailedException} naming invalid addresses is a refusal;
 *     {@code AuthenticationFailedException} an outage (no event gets through with wrong credentials).</li>
 * <li>An HTTP status ({@code getStatusCode()} of an {@code HttpOperationFailedException}): 5xx, 408 and 429
 *     are an outage, any other a refusal.</li>
 * <li>JMS: {@code MessageFormatException}, {@code MessageNotWriteableException} (and their runtime and Spring
 *     forms, and Spring's {@code MessageConversionException}) are a refusal; any other {@code JMSException},
 *     {@code JMSRuntimeException} or Spring {@code JmsException} (connection lost, broker down, security,
 *     unknown destination) an outage.</li>
 * <li>Content that cannot be written, although an {@code IOException} (JSON, character encoding,
 *     serialisation), is a refusal.</li>
 * <li>Any other {@code IOException} (refused, unreachable, reset, time-out, TLS, a file or folder that cannot
 *     be written, disk full) and a time-out ({@code TimeoutException}, Camel's {@code ExchangeTimedOutException})
 *     are an outage.</li>
 * </ol>
 * When nothing in the chain decides, it is a refusal: a failure we cannot place (an
 * {@code IllegalArgumentException} from formatting the event, a Camel type conversion) must not hold the queue
 * forever. JMS, mail and HTTP classes are recognised by name, so none of those libraries is needed here.
 */
public final class TargetFailures {

    /** What a failed delivery means for the target's queue. */
    public enum Kind {
        /** The target cannot take any event now: hold the queue, try again with capped backoff, no dead letter. */
        OUTAGE,
        /** The target rejects this event: the tries, then the dead letters; the next event goes on. */
        REFUSAL
    }

    private static final int MAX_CAUSES = 32;

    private TargetFailures() {
    }

    /** The kind of a failed delivery; a refusal when nothing in its cause chain says otherwise (or it is null). */
    public static Kind classify(Throwable failure) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable t = failure; t != null && seen.size() < MAX_CAUSES && seen.add(t); t = t.getCause()) {
            Kind kind = saysItself(t);
            if (kind != null) {
                return kind;
            }
        }
        return Kind.REFUSAL;
    }

    /** What this one throwable says, leaving its causes aside; null when it says nothing. */
    static Kind saysItself(Throwable t) {
        if (t instanceof TargetRefusedException) {
            return Kind.REFUSAL;
        }
        if (t instanceof TargetOutageException) {
            return Kind.OUTAGE;
        }
        if (isA(t, "jakarta.mail.MessagingException")) {
            return mail(t);
        }
        if (t.getClass().getSimpleName().equals("HttpOperationFailedException")) {
            return http(t);
        }
        if (isA(t, "jakarta.jms.MessageFormatException") || isA(t, "jakarta.jms.MessageNotWriteableException")
                || isA(t, "jakarta.jms.MessageFormatRuntimeException")
                || isA(t, "jakarta.jms.MessageNotWriteableRuntimeException")
                || isA(t, "org.springframework.jms.MessageFormatException")
                || isA(t, "org.springframework.jms.MessageNotWriteableException")
                || isA(t, "org.springframework.jms.support.converter.MessageConversionException")) {
            return Kind.REFUSAL;
        }
        if (isA(t, "jakarta.jms.JMSException") || isA(t, "jakarta.jms.JMSRuntimeException")
                || isA(t, "org.springframework.jms.JmsException")) {
            return Kind.OUTAGE;
        }
        if (isA(t, "com.fasterxml.jackson.core.JacksonException") || t instanceof CharacterCodingException
                || t instanceof CharConversionException || t instanceof UnsupportedEncodingException
                || t instanceof ObjectStreamException) {
            return Kind.REFUSAL;
        }
        if (t instanceof IOException || t instanceof TimeoutException
                || isA(t, "org.apache.camel.ExchangeTimedOutException")
                // Kafka's own "try again": a broker that cannot be reached, a leader moving, a time-out
                || isA(t, "org.apache.kafka.common.errors.RetriableException")) {
            return Kind.OUTAGE;
        }
        return null;
    }

    private static Kind mail(Throwable t) {
        Integer code = intProperty(t, "getReturnCode");
        if (code != null && code >= 400 && code < 500) {
            return Kind.OUTAGE;
        }
        if (code != null && code >= 500 && code < 600) {
            return Kind.REFUSAL;
        }
        if (isA(t, "jakarta.mail.SendFailedException") && hasInvalidAddresses(t)) {
            return Kind.REFUSAL;
        }
        if (isA(t, "jakarta.mail.AuthenticationFailedException")) {
            return Kind.OUTAGE;
        }
        return null; // its cause decides: an IOException for a server that cannot be reached
    }

    private static Kind http(Throwable t) {
        Integer status = intProperty(t, "getStatusCode");
        if (status == null) {
            return null;
        }
        return status >= 500 || status == 408 || status == 429 ? Kind.OUTAGE : Kind.REFUSAL;
    }

    /** Whether the class of t, or a superclass, has this name (so the library need not be on the classpath). */
    static boolean isA(Throwable t, String className) {
        for (Class<?> c = t.getClass(); c != null && c != Throwable.class; c = c.getSuperclass()) {
            if (c.getName().equals(className)) {
                return true;
            }
        }
        return false;
    }

    private static Integer intProperty(Throwable t, String getter) {
        try {
            Method method = t.getClass().getMethod(getter);
            if (method.getReturnType() == int.class) {
                return (Integer) method.invoke(t);
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            // no such getter (or not readable): the throwable says nothing by it
        }
        return null;
    }

    private static boolean hasInvalidAddresses(Throwable t) {
        try {
            Object addresses = t.getClass().getMethod("getInvalidAddresses").invoke(t);
            return addresses != null && addresses.getClass().isArray() && Array.getLength(addresses) > 0;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }
}
