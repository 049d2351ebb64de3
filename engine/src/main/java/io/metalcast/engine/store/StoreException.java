package io.metalcast.engine.store;

/** A database operation failed (an {@link java.sql.SQLException} unchecked). */
public final class StoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
