package io.icws.licenses.notify;

import org.apache.camel.AsyncProcessor;
import org.apache.camel.Exchange;
import org.apache.camel.NamedNode;
import org.apache.camel.Processor;
import org.apache.camel.Route;
import org.apache.camel.spi.TransactedPolicy;
import org.apache.camel.support.AsyncProcessorConverterHelper;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.TransactionStatus;

/**
 * The policy of the JMS target's {@code transacted} step (bean {@code icwsJmsTransaction}): the rest of the route
 * runs in one local JMS transaction of Spring's {@link org.springframework.jms.connection.JmsTransactionManager},
 * which binds one transacted session to the thread; {@link JmsBatchSender} sends every message of the batch on it
 * and leaves the commit to the manager. Committed once when the route took the exchange; rolled back when anything in it
 * failed, the failure left on the exchange for the outbox to classify (outage or refusal).
 *
 * <p>Why not camel-spring's {@code SpringTransactionPolicy}: it installs its own transaction error handler in
 * place of the route's (the target routes have none: redelivery and logging are the outbox's), which logs every
 * failure at ERROR with a message history; and the YAML DSL of Camel 4.18 loads a
 * {@code springTransactionErrorHandler} route configuration as {@code jtaTransactionErrorHandler}. This policy
 * does only the transaction, so the route stays the same in YAML and Java and keeps the target's error handling.
 */
public final class JmsBatchTransaction implements TransactedPolicy {

    private final PlatformTransactionManager manager;

    public JmsBatchTransaction(PlatformTransactionManager manager) {
        this.manager = manager;
    }

    @Override
    public void beforeWrap(Route route, NamedNode definition) {
        // nothing to prepare
    }

    @Override
    public Processor wrap(Route route, Processor processor) {
        AsyncProcessor steps = AsyncProcessorConverterHelper.convert(processor);
        return exchange -> {
            // Spring's transactions are bound to the thread: every step of the route runs on this one
            exchange.getExchangeExtension().setTransacted(true);
            TransactionStatus status;
            try {
                status = manager.getTransaction(TransactionDefinition.withDefaults());
            } catch (RuntimeException e) {
                exchange.setException(e); // no session: the broker is most likely gone
                return;
            }
            try {
                steps.process(exchange);
            } catch (Exception e) {
                exchange.setException(e);
            }
            Exception failure = exchange.getException();
            if (failure == null) {
                try {
                    manager.commit(status);
                } catch (RuntimeException e) {
                    exchange.setException(e); // not committed: the outbox sends the batch again
                }
            } else {
                try {
                    manager.rollback(status);
                } catch (RuntimeException e) {
                    failure.addSuppressed(e); // the broker went away: nothing of it was committed either
                }
            }
        };
    }

    @Override
    public String toString() {
        return "JmsBatchTransaction";
    }
}
