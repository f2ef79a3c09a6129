package io.icws.licenses.support;

/** Failures as one line a person can read in a log or a health check. */
public final class Failures {

    private Failures() {
    }

    /**
     * A failure as {@code Type: message}, with its deepest cause in brackets when that is another type
     * ({@code ConnectException (ClosedChannelException)}); wrappers that say nothing of their own
     * (CompletionException, ExecutionException) are skipped. Never a stack trace, never more than one line.
     */
    public static String describe(Throwable failure) {
        if (failure == null) {
            return "unknown";
        }
        Throwable outer = failure;
        while ((outer instanceof java.util.concurrent.CompletionException
                || outer instanceof java.util.concurrent.ExecutionException) && outer.getCause() != null) {
            outer = outer.getCause();
        }
        Throwable root = outer;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = text(outer);
        if (root != outer && !root.getClass().equals(outer.getClass())
                && (outer.getMessage() == null || root.getMessage() == null || !outer.getMessage().contains(root.getMessage()))) {
            text += " (" + text(root) + ")";
        }
        return SafeText.line(text, 500);
    }

    /** The first failure of the given type in the cause chain (the failure itself included), or null. */
    public static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static String text(Throwable t) {
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }
}
